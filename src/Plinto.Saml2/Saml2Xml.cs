using System.Xml;

namespace Plinto.Saml2;

/// <summary>Why a SAML message was refused: a stable code for logs and tests (never the message's content).</summary>
public enum Saml2Failure
{
    /// <summary>Not well-formed XML, or not the expected message.</summary>
    Malformed,

    /// <summary>Larger or deeper than the limits.</summary>
    TooLarge,

    /// <summary>A DOCTYPE (DTDs and entities are never processed).</summary>
    DocumentTypeDefinition,

    /// <summary>Two elements share an ID (the ground work of signature wrapping).</summary>
    DuplicateId,

    /// <summary>No, or more than one, assertion; or an encrypted one.</summary>
    AssertionCount,

    /// <summary>A signature required by the connection is missing.</summary>
    MissingSignature,

    /// <summary>The signature's shape is not the one allowed: references, transforms, canonicalization, algorithms.</summary>
    SignatureShape,

    /// <summary>The signature does not verify with any of the connection's certificates.</summary>
    InvalidSignature,

    /// <summary>The status is not Success.</summary>
    Status,

    /// <summary>Issuer is not the connection's IdP.</summary>
    Issuer,

    /// <summary>Destination is not our ACS URL.</summary>
    Destination,

    /// <summary>InResponseTo does not match the request this browser made (or IdP-initiated is not allowed).</summary>
    InResponseTo,

    /// <summary>No bearer subject confirmation for our ACS URL that is still valid.</summary>
    SubjectConfirmation,

    /// <summary>Outside NotBefore / NotOnOrAfter.</summary>
    Expired,

    /// <summary>An AudienceRestriction without our SP entity ID.</summary>
    Audience,

    /// <summary>NameID missing, empty, or split by comments, processing instructions or CDATA.</summary>
    NameId,

    /// <summary>The assertion was used before (replay).</summary>
    Replay,
}

/// <summary>A refused SAML message, with the reason to log and a message that contains nothing from the input.</summary>
public sealed class Saml2ValidationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public Saml2ValidationException(Saml2Failure reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>The stable reason.</summary>
    public Saml2Failure Reason { get; }
}

/// <summary>Bounds on incoming XML.</summary>
/// <param name="MaxCharacters">Most characters of the (inflated) document.</param>
/// <param name="MaxDepth">Most nesting of elements.</param>
public sealed record Saml2XmlLimits(int MaxCharacters = 256 * 1024, int MaxDepth = 32)
{
    /// <summary>The defaults.</summary>
    public static Saml2XmlLimits Default { get; } = new();
}

/// <summary>
/// Loads SAML XML into one <see cref="XmlDocument"/>, safely: DTDs prohibited, no resolver (no external entities or
/// fetches), whitespace preserved (signatures cover it), size and depth bounded before anything else reads it.
/// </summary>
public static class Saml2Xml
{
    /// <summary>SAML 2.0 assertion namespace.</summary>
    public const string AssertionNamespace = "urn:oasis:names:tc:SAML:2.0:assertion";

    /// <summary>SAML 2.0 protocol namespace.</summary>
    public const string ProtocolNamespace = "urn:oasis:names:tc:SAML:2.0:protocol";

    /// <summary>XML-DSig namespace.</summary>
    public const string SignatureNamespace = "http://www.w3.org/2000/09/xmldsig#";

    /// <summary>Parses the document.</summary>
    /// <exception cref="Saml2ValidationException">Malformed, too large or too deep, or with a DOCTYPE.</exception>
    public static XmlDocument Load(string xml, Saml2XmlLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(xml);
        limits ??= Saml2XmlLimits.Default;
        if (xml.Length > limits.MaxCharacters)
        {
            throw new Saml2ValidationException(Saml2Failure.TooLarge, $"The message is larger than {limits.MaxCharacters} characters.");
        }

        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = limits.MaxCharacters,
            MaxCharactersFromEntities = 0,
            IgnoreComments = false,
            IgnoreProcessingInstructions = false,
        };
        var document = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            document.Load(reader);
        }
        catch (XmlException error) when (error.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase))
        {
            throw new Saml2ValidationException(Saml2Failure.DocumentTypeDefinition, "The message contains a DOCTYPE; DTDs are not allowed.");
        }
        catch (XmlException)
        {
            throw new Saml2ValidationException(Saml2Failure.Malformed, "The message is not well-formed XML.");
        }

        if (Depth(document.DocumentElement!) > limits.MaxDepth)
        {
            throw new Saml2ValidationException(Saml2Failure.TooLarge, $"The message is nested deeper than {limits.MaxDepth} elements.");
        }

        return document;
    }

    private static int Depth(XmlElement root)
    {
        var deepest = 0;
        var stack = new Stack<(XmlElement Element, int Depth)>();
        stack.Push((root, 1));
        while (stack.Count > 0)
        {
            var (element, depth) = stack.Pop();
            deepest = Math.Max(deepest, depth);
            foreach (var child in element.ChildNodes.OfType<XmlElement>())
            {
                stack.Push((child, depth + 1));
            }
        }

        return deepest;
    }
}
