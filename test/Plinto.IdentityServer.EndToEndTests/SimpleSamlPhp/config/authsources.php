<?php
// One test user (the password is filled in by the test).
$config = [
    'admin' => ['core:AdminPassword'],
    'plinto-users' => [
        'exampleauth:UserPass',
        '__USERNAME__:__PASSWORD__' => [
            'uid' => ['__USERNAME__'],
            'mail' => ['__EMAIL__'],
            'givenName' => ['Ada'],
            'sn' => ['Lovelace'],
        ],
    ],
];
