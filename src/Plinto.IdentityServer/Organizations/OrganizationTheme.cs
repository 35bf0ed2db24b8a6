using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Organizations;

/// <summary>
/// Per-organization colours for the hosted pages, as a stylesheet (the CSP allows no inline styles):
/// <c>/theme/{slug}.css</c> sets <c>--plinto-primary</c> and a readable text colour on it.
/// </summary>
internal static class OrganizationTheme
{
    public static string StylesheetPath(string slug) => $"/theme/{slug}.css";

    public static IEndpointRouteBuilder MapPlintoOrganizationTheme(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/theme/{slug}.css", async (string slug, PlintoDbContext db, HttpContext context, CancellationToken cancellationToken) =>
        {
            var color = OrganizationSlug.IsValid(slug)
                ? await db.Set<Organization>().Where(o => o.Slug == slug).Select(o => o.PrimaryColor).SingleOrDefaultAsync(cancellationToken)
                : null;
            context.Response.Headers.CacheControl = "public, max-age=300";
            return Results.Text(color is null ? string.Empty : Stylesheet(color), "text/css; charset=utf-8");
        });
        return endpoints;
    }

    /// <summary>The colour was validated as #rrggbb when saved; the text on it is black or white, whichever contrasts more (WCAG 2.x).</summary>
    internal static string Stylesheet(string color)
    {
        var contrast = RelativeLuminance(color) > 0.179 ? "#000000" : "#ffffff";
        return $":root {{ --plinto-primary: {color}; --plinto-primary-contrast: {contrast}; }}\n";
    }

    private static double RelativeLuminance(string color)
    {
        double Channel(int offset)
        {
            var value = int.Parse(color.AsSpan(offset, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 255.0;
            return value <= 0.03928 ? value / 12.92 : Math.Pow((value + 0.055) / 1.055, 2.4);
        }

        return (0.2126 * Channel(1)) + (0.7152 * Channel(3)) + (0.0722 * Channel(5));
    }
}
