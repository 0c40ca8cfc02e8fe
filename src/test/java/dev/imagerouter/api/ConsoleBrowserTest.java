package dev.imagerouter.api;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #26 acceptance in a real browser: Debian's headless Chromium, driven through its own
 * chromedriver by Selenium, against a sandboxed router. The console lists the chain's two providers;
 * one generation made through its form with the fault {@code leonardo=429} appears in the grid with
 * the trail {@code leonardo-phoenix → RATE_LIMITED → fallback} and a thumbnail the browser loaded,
 * smaller than the image; every request the page made stayed on the router's origin. The page is
 * written to {@code target/console.png}. The form's asynchronous mode shows the job's progress events.
 * Outside sandbox mode the browser gets in with the admin key as HTTP Basic credentials.
 *
 * <p>The browser and driver are the system's ({@code /usr/bin/chromium}, {@code /usr/bin/chromedriver};
 * {@code .ci/run} installs Debian's {@code chromium} and {@code chromium-driver}), overridable with the
 * system properties {@code console.chromium} and {@code webdriver.chrome.driver}; Selenium Manager is
 * never asked to download anything. Chromium's own background traffic (updates, sync, field trials)
 * is switched off, since the test machine may have no network.
 */
@MicronautTest
class ConsoleBrowserTest extends SandboxHttpTest {

    static final String CHROMIUM = System.getProperty("console.chromium", "/usr/bin/chromium");
    static final String CHROMEDRIVER = System.getProperty("webdriver.chrome.driver", "/usr/bin/chromedriver");
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String ADMIN_KEY = "admin-key-9f8e7d6c5b4a3210";

    private ChromeDriver browser;
    private Path profile;

    @BeforeAll
    void startBrowser() {
        for (String exe : List.of(CHROMIUM, CHROMEDRIVER)) {
            assertTrue(Files.isExecutable(Path.of(exe)), exe + " is missing: install Debian's chromium and chromium-driver"
                    + " (.ci/run does), or point -Dconsole.chromium / -Dwebdriver.chrome.driver at them");
        }
        profile = RouterTestSupport.tempDir("chromium-profile");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1600", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().scriptTimeout(WAIT);
    }

    @AfterAll
    void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    private WebDriverWait waiting() {
        WebDriverWait wait = new WebDriverWait(browser, WAIT, Duration.ofMillis(100));
        wait.ignoring(StaleElementReferenceException.class); // the grid is redrawn when new generations arrive
        return wait;
    }

    private List<String> chainProviders() {
        return browser.findElements(By.cssSelector("#chain tbody tr[data-provider]")).stream()
                .map(tr -> tr.getAttribute("data-provider")).toList();
    }

    @Test
    void theConsole_showsTheChain_andAFallbackMadeThroughItsForm_withTrailAndThumbnail() throws IOException {
        // a few generations made by a pipeline before the page is opened, so the grid has company
        for (String p : List.of("a harbour at dawn", "a fox in the snow", "a glass greenhouse")) {
            assertEquals(200, api.generate("{\"prompt\":\"" + prompt(p) + "\",\"size\":\"1536x1024\"}").status());
        }
        String origin = server.getURL().toString().replaceFirst("/$", "");
        browser.get(origin + "/console");

        // Chain: both providers, in order, with their live state
        waiting().until(d -> chainProviders().size() == 2);
        assertEquals(List.of("leonardo-phoenix", "openai-gpt-image-2"), chainProviders());
        String leonardo = browser.findElement(By.cssSelector("#chain tr[data-provider=leonardo-phoenix]")).getText();
        assertTrue(leonardo.contains("leonardo") && leonardo.contains("CLOSED") && leonardo.contains("OK"), leonardo);
        assertEquals("sandbox", browser.findElement(By.id("mode")).getText());

        // Try it: one generation with the fault leonardo=429 (a synchronous call, the form's default)
        String prompt = prompt("a lighthouse at dusk, oil painting");
        waiting().until(d -> d.findElement(By.id("fault")).isDisplayed());
        WebElement box = browser.findElement(By.id("prompt"));
        box.clear();
        box.sendKeys(prompt);
        new Select(browser.findElement(By.id("fault"))).selectByVisibleText("leonardo=429");
        browser.findElement(By.id("generate")).click();
        waiting().until(d -> d.findElement(By.id("events")).getText().contains("succeeded"));
        String events = browser.findElement(By.id("events")).getText();
        assertTrue(events.contains("leonardo-phoenix: failure RATE_LIMITED (HTTP 429)")
                && events.contains("openai-gpt-image-2: success") && !events.contains("job_"), events);

        // Recent generations: its card, with the trail and a thumbnail the browser loaded
        WebElement card = waiting().until(d -> d.findElements(By.cssSelector("#grid li.card")).stream()
                .filter(c -> prompt.equals(c.findElement(By.cssSelector("img.thumb")).getAttribute("alt")))
                .findFirst().orElse(null));
        List<String> trail = card.findElements(By.cssSelector("ol.trail li")).stream().map(WebElement::getText).toList();
        assertEquals(List.of("leonardo-phoenix → RATE_LIMITED → fallback", "openai-gpt-image-2 → success"), trail);
        assertTrue(card.getText().contains("openai-gpt-image-2") && card.getText().contains("1024x1024"), card.getText());
        WebElement thumb = card.findElement(By.cssSelector("img.thumb"));
        waiting().until(d -> Boolean.TRUE.equals(js("return arguments[0].complete", thumb)));
        assertEquals(256L, js("return arguments[0].naturalWidth", thumb), "the thumbnail loaded (naturalWidth > 0)");
        String thumbnailUrl = (String) js("return arguments[0].src", thumb);

        // Click: the full image and its JSON
        card.findElement(By.cssSelector("button.open")).click();
        WebElement dialog = waiting().until(d -> d.findElement(By.id("detail")).isDisplayed() ? d.findElement(By.id("detail")) : null);
        WebElement full = dialog.findElement(By.cssSelector("#detail-images img"));
        waiting().until(d -> Boolean.TRUE.equals(js("return arguments[0].complete && arguments[0].naturalWidth > 0", full)));
        assertEquals(1024L, js("return arguments[0].naturalWidth", full));
        String detail = browser.findElement(By.id("detail-json")).getText();
        assertTrue(detail.contains("\"request_hash\"") && detail.contains("\"action\": \"fallback\"") && detail.contains(prompt), detail);
        String imageUrl = (String) js("return arguments[0].src", full);
        browser.switchTo().activeElement().sendKeys(Keys.ESCAPE); // keyboard closes the dialog
        waiting().until(d -> !d.findElement(By.id("detail")).isDisplayed());

        // The thumbnail is a smaller file than the image (over HTTP, not scaled by the browser)
        ApiClient.Response small = api.get(thumbnailUrl);
        ApiClient.Response large = api.get(imageUrl);
        assertEquals(200, small.status());
        assertEquals(200, large.status());
        assertTrue(small.body().length * 5 < large.body().length, small.body().length + " bytes against " + large.body().length);

        // The same form as an asynchronous job: its progress events, then its card
        String jobPrompt = prompt("a greenhouse in the rain");
        box.clear();
        box.sendKeys(jobPrompt);
        new Select(browser.findElement(By.id("fault"))).selectByVisibleText("leonardo=500");
        browser.findElement(By.id("as-job")).click();
        browser.findElement(By.id("generate")).click();
        waiting().until(d -> d.findElement(By.id("events")).getText().contains("succeeded"));
        String jobEvents = browser.findElement(By.id("events")).getText();
        assertTrue(jobEvents.startsWith("job job_") && jobEvents.contains("leonardo-phoenix: failure SERVER_ERROR (HTTP 500)")
                && jobEvents.contains("openai-gpt-image-2: success"), jobEvents);
        WebElement jobCard = waiting().until(d -> d.findElements(By.cssSelector("#grid li.card")).stream()
                .filter(c -> jobPrompt.equals(c.findElement(By.cssSelector("img.thumb")).getAttribute("alt")))
                .findFirst().orElse(null));
        assertEquals(List.of("leonardo-phoenix → SERVER_ERROR → retry", "leonardo-phoenix → SERVER_ERROR → fallback",
                "openai-gpt-image-2 → success"),
                jobCard.findElements(By.cssSelector("ol.trail li")).stream().map(WebElement::getText).toList());

        // Every request the page made stayed on the router's origin
        @SuppressWarnings("unchecked")
        List<String> requested = (List<String>) js("return performance.getEntries()"
                + ".filter(e => e.entryType === 'navigation' || e.entryType === 'resource').map(e => e.name)");
        assertTrue(requested.contains(thumbnailUrl) && requested.stream().anyMatch(u -> u.endsWith("/admin/chain")), requested.toString());
        for (String url : requested) {
            URI uri = URI.create(url);
            assertEquals(origin, uri.getScheme() + "://" + uri.getAuthority(), "left the origin: " + url);
        }

        // Every form field has a label; the page's controls are reachable by keyboard
        assertEquals(0L, js("return [...document.querySelectorAll('input, select, textarea')].filter(e => e.labels.length === 0).length"));
        assertEquals("BUTTON", js("return document.querySelector('#grid button.open').tagName"));

        Path shot = Path.of("target", "console.png");
        Files.createDirectories(shot.getParent());
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), shot, StandardCopyOption.REPLACE_EXISTING);
        assertTrue(Files.size(shot) > 10_000, "a screenshot of the page");
    }

    /**
     * Outside sandbox mode a browser gets in with the admin key as HTTP Basic credentials (here in the
     * URL, as a person would type them into the browser's dialog): the page's own fetch calls to
     * {@code /admin/**} carry them, so the chain shows.
     */
    @Test
    void outsideSandboxMode_theBrowserSendsTheAdminKeyAsBasicCredentials_toThePageAndItsFetchCalls() {
        Map<String, Object> p = RouterTestSupport.liveWithUnreachableProviders();
        p.put("router.auth.api-keys", "blog:blog-key-77aa21c0e4f9b135");
        p.put("router.auth.admin-key", ADMIN_KEY);
        try (EmbeddedServer live = ApplicationContext.run(EmbeddedServer.class, p)) {
            ApiClient liveApi = new ApiClient(live.getURL().toString(), live.getApplicationContext().getBean(JsonMapper.class));
            assertEquals(401, liveApi.get("/console").status());

            browser.get("http://admin:" + ADMIN_KEY + "@127.0.0.1:" + live.getPort() + "/console");
            waiting().until(d -> chainProviders().size() == 2);
            assertEquals("live", browser.findElement(By.id("mode")).getText());
            assertFalse(browser.findElement(By.id("fault-field")).isDisplayed(), "no fault selector outside sandbox mode");
            waiting().until(d -> d.findElement(By.id("grid-empty")).isDisplayed()); // /admin/generations answered too
        }
    }
}
