<?php
// Plinto as the SP (entity ID and ACS are filled in once the connection exists).
$metadata['__SP_ENTITY_ID__'] = [
    'AssertionConsumerService' => '__ACS__',
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    'simplesaml.nameidattribute' => 'uid',
    'simplesaml.attributes' => true,
];
