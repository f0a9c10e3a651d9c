using Microsoft.AspNetCore.Antiforgery;

namespace KmsConsole.Web.Security;

/// <summary>
/// The console's own form endpoints (sign-in, sign-out): they require a valid anti-forgery token, so another site
/// cannot sign a visitor in or out, and answer bad input with 400/413 and a sentence instead of an exception.
/// </summary>
public static class FormPosts
{
    public const string InvalidToken =
        "The form's anti-forgery token is missing or invalid. Reload the page and submit the form again.";

    public static RouteHandlerBuilder AsConsoleFormPost(this RouteHandlerBuilder endpoint) => endpoint
        .WithMetadata(new RequireAntiforgeryTokenAttribute(required: true))
        .WithMetadata(new RequestLimits.BodyLimit(RequestLimits.MaxFormBytes))
        .AddEndpointFilter(async (invocation, next) =>
        {
            var antiforgery = invocation.HttpContext.Features.Get<IAntiforgeryValidationFeature>();
            if (antiforgery is not { IsValid: false })
            {
                return await next(invocation);
            }

            // The token is read from the form, so a form beyond the limit fails there first: say what really went wrong.
            return invocation.HttpContext.Request.ContentLength > RequestLimits.MaxFormBytes || IsTooLarge(antiforgery.Error)
                ? TooLarge()
                : Results.Text(InvalidToken, statusCode: StatusCodes.Status400BadRequest);
        });

    /// <summary>The posted form, or the refusal to answer with when the body is not a form or is too large.</summary>
    public static async Task<(IFormCollection? Form, IResult? Refusal)> ReadAsync(HttpRequest request)
    {
        if (!request.HasFormContentType)
        {
            return (null, Results.Text("Send the form as application/x-www-form-urlencoded or multipart/form-data.",
                statusCode: StatusCodes.Status415UnsupportedMediaType));
        }

        try
        {
            return (await request.ReadFormAsync(request.HttpContext.RequestAborted), null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }
        catch (InvalidDataException)
        {
            return (null, TooLarge());
        }
    }

    private static bool IsTooLarge(Exception? error) =>
        error is not null && (error is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } || error is InvalidDataException || IsTooLarge(error.InnerException));

    private static IResult TooLarge() =>
        Results.Text($"The form is larger than the {RequestLimits.MaxFormBytes / 1024} KB the console accepts.", statusCode: StatusCodes.Status413PayloadTooLarge);
}
