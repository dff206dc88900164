using MenoTime.AppHost.Hosting;
using Microsoft.Playwright;

namespace MenoTime.Dashboard.Tests;

/// <summary>
/// Debian's Chromium driven by Playwright (its own browser download is not available on the build machines):
/// headless, with the flags ENVIRONMENT.md gives. `.ci/run` installs the chromium package when it is missing.
/// </summary>
internal sealed class Browser : IAsyncDisposable
{
    private static readonly string[] Flags =
        ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
    }

    public IPage Page { get; }

    /// <summary>Messages the page logged to its console and errors it threw: a broken script fails the test with its reason.</summary>
    public List<string> PageErrors { get; } = [];

    public static async Task<Browser> LaunchAsync()
    {
        var chromium = ExecutableLocator.Find("chromium")
                       ?? throw new InvalidOperationException("Debian's Chromium is not installed: apt-get install -y chromium (.ci/run does it).");
        // Expectations wait for the page to catch up (polling, not a speed requirement).
        Assertions.SetDefaultExpectTimeout(30_000);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true, Args = Flags });
        // One context: its pages share the session cookie, as a browser's tabs do.
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var session = new Browser(playwright, browser, await context.NewPageAsync());
        context.Page += (_, page) => session.Watch(page);
        session.Watch(session.Page);
        return session;
    }

    private void Watch(IPage page)
    {
        page.PageError += (_, error) => PageErrors.Add($"{page.Url}: {error}");
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                PageErrors.Add($"{page.Url}: {message.Text} ({message.Location})");
            }
        };
    }

    /// <summary>A full-page screenshot under TestResults/dashboard/ in the repository; returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root.Parent is not null && !File.Exists(Path.Combine(root.FullName, "MenoTime.sln")))
        {
            root = root.Parent;
        }

        var directory = Path.Combine(root.FullName, "TestResults", "dashboard");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{name}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
