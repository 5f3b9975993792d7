package io.pollster.ui;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

import com.microsoft.playwright.APIResponse;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.Response;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.options.AriaRole;
import com.microsoft.playwright.options.Cookie;
import com.microsoft.playwright.options.FormData;
import com.microsoft.playwright.options.RequestOptions;
import com.microsoft.playwright.options.SameSiteAttribute;
import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The web UI in Debian's Chromium against a real Pollster polling a stub upstream, page by page:
 * the admin creates a user; a user creates a job, watches its versions appear and opens the diff,
 * finds jobs, stops, starts and runs them, edits and deletes them; another user cannot see them;
 * forms without the CSRF token are refused; logout ends the session on the server. The main
 * screens are photographed on the way (into target/screenshots; into docs/ui too with
 * POLLSTER_UPDATE_SCREENSHOTS=1).
 */
class WebUiTest extends PipelineTest {

    private static final Path CHROMIUM = Paths.get("/usr/bin/chromium");
    private static final String RATES_BEFORE = "{\"base\":\"EUR\",\"rates\":{\"USD\":1.0812,\"GBP\":0.8571}}";
    private static final String RATES_AFTER = "{\"base\":\"EUR\",\"rates\":{\"USD\":1.0934,\"GBP\":0.8571}}";
    /** Versions come from real polls at 1 s: a slow machine may take a while. */
    private static final LocatorAssertions.HasCountOptions SLOW = new LocatorAssertions.HasCountOptions().setTimeout(30_000);

    private static Playwright playwright;
    private static Browser browser;

    @BeforeAll
    static void launchChromium() {
        if (!Files.isExecutable(CHROMIUM)) {
            throw new IllegalStateException("The web UI tests need Chromium at " + CHROMIUM + ": apt-get install -y chromium");
        }
        playwright = Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
                .setExecutablePath(CHROMIUM).setHeadless(true).setArgs(List.of("--no-sandbox")));
    }

    @AfterAll
    static void closeChromium() {
        if (playwright != null) {
            playwright.close();
        }
    }

    private BrowserContext browserContext() {
        return browser.newContext(new Browser.NewContextOptions()
                .setBaseURL("http://localhost:" + port)
                .setLocale("en-GB").setTimezoneId("UTC")
                .setViewportSize(1280, 860));
    }

    private static void logIn(Page page, String token) {
        page.navigate("/login");
        page.getByLabel("Token").fill(token);
        button(page, "Log in").click();
        assertThat(page.locator("h1")).hasText("Jobs");
    }

    @Test
    void theAdminLogsInCreatesAUserAndSeesTheCluster() {
        try (BrowserContext adminBrowser = browserContext()) {
            Page page = adminBrowser.newPage();
            page.navigate("/");
            assertThat(page).hasURL(Pattern.compile("/login$"));
            shoot(page, "login");
            page.getByLabel("Token").fill("not-a-token-at-all");
            page.locator("button[type=submit]").click();
            assertThat(page.getByRole(AriaRole.ALERT)).containsText("not valid");

            logIn(page, ADMIN_TOKEN);
            page.navigate("/users");
            page.getByLabel("New user's name").fill("alice");
            button(page, "Create user").click();
            String alice = page.locator("code.secret").textContent().strip();
            assertThat(alice).startsWith("pst_");
            assertThat(page.url()).doesNotContain(alice);
            assertThat(api().as(alice).get("/api/v1/me").status()).isEqualTo(200);
            page.navigate("/cluster");
            assertThat(page.locator("h1")).hasText("Cluster");
            assertThat(page.locator("table").first()).containsText("api");
            shoot(page, "cluster");
            button(page, "Log out").click();
            assertThat(page).hasURL(Pattern.compile("/login$"));
        }
    }

    @Test
    void aUserCreatesAJobWithTheFormWatchesItChangeAndReadsTheDiff() {
        AtomicReference<String> rates = new AtomicReference<>(RATES_BEFORE);
        upstream.route("/rates", n -> StubUpstream.Answer.json(rates.get()));
        String alice = createUser("alice");
        try (BrowserContext browserContext = browserContext()) {
            Page page = browserContext.newPage();
            logIn(page, alice);
            Cookie session = sessionCookie(browserContext);
            assertThat(session.httpOnly).isTrue();
            assertThat(session.sameSite).isEqualTo(SameSiteAttribute.STRICT);
            assertThat(page.locator(".empty")).containsText("No jobs yet");
            shoot(page, "jobs-empty");

            // a refused definition: the API's message, the input kept, nothing written
            page.getByText("Create your first job").click();
            page.getByLabel("Name").fill("EUR rates");
            page.getByLabel("URL").fill(upstream.url("/rates"));
            page.getByLabel("Every (interval)").fill("1 fortnight");
            button(page, "Create job").click();
            assertThat(page.getByRole(AriaRole.ALERT)).containsText("interval");
            assertThat(page.getByLabel("Name")).hasValue("EUR rates");
            shoot(page, "job-form-error");
            assertThat(api().as(alice).get("/api/v1/jobs").json().get("items").size()).isZero();

            page.getByLabel("Every (interval)").fill("1s");
            page.getByLabel("Ignore changes at").fill("$.generatedAt");
            button(page, "Create job").click();
            assertThat(page.locator("h1")).hasText("EUR rates");
            String jobUrl = page.url();

            // the first version appears without a reload, then the next
            assertThat(page.locator(".timeline li")).hasCount(1, SLOW);
            rates.set(RATES_AFTER);
            assertThat(page.locator(".timeline li")).hasCount(2, SLOW);
            assertThat(page.locator("#polls-title")).isVisible();
            shoot(page, "job");

            button(page, "Compare the chosen versions").click();
            assertThat(page.locator("h1")).hasText("Changes");
            assertThat(page.locator("table.changes")).containsText("/rates/USD");
            assertThat(page.locator("table.changes del")).hasText("1.0812");
            assertThat(page.locator("table.changes ins")).hasText("1.0934");
            assertThat(page.locator("table.side-by-side ins").first()).containsText("1.0934");
            assertThat(page.locator("table.side-by-side del").first()).containsText("1.0812");
            shoot(page, "diff");

            // the content viewer, and the raw content through the session
            page.navigate(jobUrl);
            page.locator(".timeline li a").first().click();
            assertThat(page.locator("pre.content")).containsText("\"USD\" : 1.0934");
            assertThat(page.request().get(page.locator("a", new Page.LocatorOptions().setHasText("Raw content")).getAttribute("href")).text())
                    .contains("1.0934");
        }
    }

    @Test
    void theJobListFindsJobsByName() {
        String alice = createUser("alice");
        job(alice, "EUR rates", "1h");
        job(alice, "Weather", "1h");
        try (BrowserContext browserContext = browserContext()) {
            Page page = browserContext.newPage();
            logIn(page, alice);
            assertThat(page.locator("table.jobs")).containsText("EUR rates");
            assertThat(page.locator("table.jobs")).containsText("active");
            page.getByLabel("Search").fill("nothing like it");
            button(page, "Filter").click();
            assertThat(page.locator(".empty")).containsText("No job matches");
            page.getByLabel("Search").fill("eur RATES");
            button(page, "Filter").click();
            assertThat(page.locator("table.jobs tbody tr")).hasCount(1);
            shoot(page, "jobs");
            page.setViewportSize(390, 844);
            shoot(page, "jobs-phone");
        }
    }

    @Test
    void formsNeedTheirCsrfTokenAndTheApiItsBearerTokenWhileTheButtonsStopStartAndRunTheJob() {
        String alice = createUser("alice");
        String jobId = job(alice, "EUR rates", "1h");
        try (BrowserContext browserContext = browserContext()) {
            Page page = browserContext.newPage();
            logIn(page, alice);

            APIResponse forged = page.request().post("/jobs/" + jobId + "/stop",
                    RequestOptions.create().setForm(FormData.create().set("x", "y")).setMaxRedirects(0));
            assertThat(forged.status()).isEqualTo(403);
            APIResponse wrongToken = page.request().post("/jobs/" + jobId + "/stop",
                    RequestOptions.create().setForm(FormData.create().set("_csrf", "guessed")).setMaxRedirects(0));
            assertThat(wrongToken.status()).isEqualTo(403);
            page.navigate("/jobs/" + jobId);
            APIResponse crossSite = page.request().post("/jobs/" + jobId + "/stop", RequestOptions.create()
                    .setHeader("Origin", "https://evil.example").setForm(FormData.create().set("_csrf", csrfOf(page))).setMaxRedirects(0));
            assertThat(crossSite.status()).isEqualTo(403);
            // the API is not writable with the cookie alone
            APIResponse apiWrite = page.request().post("/api/v1/jobs/" + jobId + "/stop", RequestOptions.create().setMaxRedirects(0));
            assertThat(apiWrite.status()).isEqualTo(401);
            assertThat(status(alice, jobId)).isEqualTo("active");

            // stop with the form, as a person would; then start and run now, as buttons
            page.locator("form[action$='/stop'] button").click();
            assertThat(page.locator("#live .badge").first()).hasText("stopped");
            assertThat(status(alice, jobId)).isEqualTo("stopped");
            page.locator("form[action$='/start'] button").click();
            assertThat(page.locator("#live .badge").first()).hasText("active");
            long polls = api().as(alice).get("/api/v1/jobs/" + jobId).json().get("stats").get("polls").asLong();
            button(page, "Run now").click();
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    api().as(alice).get("/api/v1/jobs/" + jobId).json().get("stats").get("polls").asLong() > polls);
        }
    }

    @Test
    void anotherUserCanNeitherOpenNorSeeAJob() {
        String alice = createUser("alice");
        String jobId = job(alice, "EUR rates", "1h");
        try (BrowserContext bobBrowser = browserContext()) {
            Page bob = bobBrowser.newPage();
            logIn(bob, createUser("bob"));
            Response denied = bob.navigate("/jobs/" + jobId);
            assertThat(denied.status()).isEqualTo(404);
            assertThat(bob.locator("h1")).hasText("Not found");
            assertThat(bob.content()).doesNotContain("EUR rates");
            assertThat(bob.navigate("/jobs/" + jobId + "/diff").status()).isEqualTo(404);
            bob.navigate("/");
            assertThat(bob.locator(".empty")).containsText("No jobs yet");
            assertThat(bob.navigate("/users").status()).isEqualTo(403);
        }
    }

    @Test
    void editKeepsWhatTheFormDoesNotShowAndDeleteAsksFirst() {
        String alice = createUser("alice");
        String jobId = api().as(alice).post("/api/v1/jobs", """
                {"name":"EUR rates","url":"%s","interval":"1h","dedup":{"ignorePaths":["$.generatedAt"]}}"""
                .formatted(upstream.url("/rates"))).json().get("id").asString();
        try (BrowserContext browserContext = browserContext()) {
            Page page = browserContext.newPage();
            logIn(page, alice);
            page.navigate("/jobs/" + jobId);
            page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Edit")).click();
            assertThat(page.getByLabel("Ignore changes at")).hasValue("$.generatedAt\n");
            page.getByLabel("Name").fill("EUR rates (daily)");
            page.getByLabel("More settings (JSON)").fill("{\"cache\": {\"ttl\": \"0s\"}}");
            button(page, "Save").click();
            assertThat(page.getByRole(AriaRole.ALERT)).containsText("cache.ttl");
            page.getByLabel("More settings (JSON)").fill("");
            button(page, "Save").click();
            assertThat(page.locator("h1")).hasText("EUR rates (daily)");
            assertThat(api().as(alice).get("/api/v1/jobs/" + jobId).json().get("dedup").get("ignorePaths").get(0).asString())
                    .isEqualTo("$.generatedAt");

            page.onceDialog(dialog -> dialog.dismiss());
            button(page, "Delete").click();
            assertThat(page.locator("h1")).hasText("EUR rates (daily)");
            page.onceDialog(dialog -> dialog.accept());
            button(page, "Delete").click();
            assertThat(page.locator(".empty")).containsText("No jobs yet");
            assertThat(api().as(alice).get("/api/v1/jobs/" + jobId).status()).isEqualTo(404);
        }
    }

    @Test
    void logoutEndsTheSessionOnTheServerNotOnlyInTheBrowser() {
        String alice = createUser("alice");
        String jobId = job(alice, "EUR rates", "1h");
        try (BrowserContext browserContext = browserContext()) {
            Page page = browserContext.newPage();
            logIn(page, alice);
            Cookie session = sessionCookie(browserContext);
            button(page, "Log out").click();
            assertThat(page).hasURL(Pattern.compile("/login$"));
            try (BrowserContext replay = browserContext()) {
                replay.addCookies(List.of(new Cookie(session.name, session.value).setDomain("localhost").setPath("/")));
                Page again = replay.newPage();
                again.navigate("/jobs/" + jobId);
                assertThat(again).hasURL(Pattern.compile("/login$"));
                assertThat(again.request().get("/api/v1/jobs").status()).isEqualTo(401);
            }
        }
    }

    @Test
    void aPaginatedJobShowsItsRunsItemsAndTheDeliveriesOfItsEvents() throws Exception {
        upstream.routeQuery("/catalog", q -> {
            int page = Integer.parseInt(q.getOrDefault("page", "1"));
            return StubUpstream.Answer.json("{\"count\":6,\"results\":[{\"id\":%d,\"name\":\"item-%d\"},{\"id\":%d,\"name\":\"item-%d\"}]}"
                    .formatted(2 * page - 1, 2 * page - 1, 2 * page, 2 * page));
        });
        upstream.route("/hook", n -> StubUpstream.Answer.status(204));
        String token = createUser("dave");
        String jobId = api().as(token).post("/api/v1/jobs", """
                {"name":"catalog","url":"%s","interval":"1h",
                 "pagination":{"type":"page","param":"page","sizeParam":"limit","size":2,"totalPath":"$.count"},
                 "items":{"path":"$.results[*]","key":"$.id"},
                 "outputs":[{"type":"webhook","url":"%s"}]}""".formatted(upstream.url("/catalog"), upstream.url("/hook")))
                .json().get("id").asString();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                api().as(token).get("/api/v1/jobs/" + jobId + "/runs").json().get("items").size() == 1
                && !api().as(token).get("/api/v1/jobs/" + jobId + "/runs").json().get("items").get(0).get("status").asString().equals("running")
                && upstream.requests("/hook").size() >= 7);

        try (BrowserContext browserContext = browserContext()) {
            Page page = browserContext.newPage();
            logIn(page, token);
            page.navigate("/jobs/" + jobId);
            assertThat(page.locator("#runs-title")).isVisible();
            Locator runs = page.locator("section[aria-labelledby=runs-title] table").first();
            assertThat(runs).containsText("succeeded");
            assertThat(runs).containsText("3 / 3");
            assertThat(runs).containsText("6 new, 0 changed");
            assertThat(page.locator("section[aria-labelledby=runs-title] table").nth(1).locator("tbody tr")).hasCount(6);
            assertThat(page.locator("section[aria-labelledby=events-title]")).containsText("item.created");
            assertThat(page.locator("section[aria-labelledby=events-title]")).containsText("output 0: delivered (HTTP 204)");
            shoot(page, "paginated-job");
        }
        try (BrowserContext adminBrowser = browserContext()) {
            Page page = adminBrowser.newPage();
            logIn(page, ADMIN_TOKEN);
            assertThat(page.locator("table.jobs")).containsText("catalog");
            assertThat(page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("New job"))).hasCount(0);
        }
    }

    @Test
    void deadLettersAreListedAndReplayed() {
        upstream.route("/broken", n -> StubUpstream.Answer.status(500));
        String token = createUser("carol");
        String jobId = api().as(token).post("/api/v1/jobs", """
                {"name":"broken","url":"%s","interval":"1h","retry":{"maxAttempts":1}}""".formatted(upstream.url("/broken")))
                .json().get("id").asString();
        api().as(token).post("/api/v1/jobs/" + jobId + "/run", "");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> api().as(token).get("/api/v1/dead-letters").json().get("items").size() == 1);

        try (BrowserContext browserContext = browserContext()) {
            Page page = browserContext.newPage();
            logIn(page, token);
            page.navigate("/dead-letters");
            assertThat(page.locator("table")).containsText("poll");
            assertThat(page.locator("table")).containsText("500");
            shoot(page, "dead-letters");
            button(page, "Replay").click();
            assertThat(page.getByRole(AriaRole.STATUS)).containsText("another try");
            page.navigate("/workers");
            assertThat(page.locator("h1")).hasText("Workers");
        }
    }

    /** A job of the user's on the stub's {@code /rates}, made through the API; its id. */
    private String job(String token, String name, String interval) {
        upstream.route("/rates", n -> StubUpstream.Answer.json(RATES_BEFORE));
        Api.Response created = api().as(token).post("/api/v1/jobs", """
                {"name":"%s","url":"%s","interval":"%s"}""".formatted(name, upstream.url("/rates"), interval));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("id").asString();
    }

    private String status(String token, String jobId) {
        return api().as(token).get("/api/v1/jobs/" + jobId).json().get("status").asString();
    }

    private static Cookie sessionCookie(BrowserContext browserContext) {
        return browserContext.cookies().stream().filter(c -> c.name.endsWith("pollster_session")).findFirst().orElseThrow();
    }

    private static Locator button(Page page, String name) {
        return page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName(name).setExact(true));
    }

    private static String csrfOf(Page page) {
        return page.locator("meta[name=csrf-token]").getAttribute("content");
    }

    private static void shoot(Page page, String name) throws RuntimeException {
        Path target = Paths.get("target", "screenshots", name + ".png");
        page.screenshot(new Page.ScreenshotOptions().setPath(target).setFullPage(true));
        if ("1".equals(System.getenv("POLLSTER_UPDATE_SCREENSHOTS"))) {
            try {
                Files.createDirectories(Paths.get("docs", "ui"));
                Files.copy(target, Paths.get("docs", "ui", name + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
