package io.pollster.ui;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import io.pollster.support.IntegrationTest;
import io.pollster.support.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Web UI sessions over plain HTTP: what the login answers, what the cookie may and may not do,
 * and how a session ends (logout, expiry, the user's deletion).
 */
class BrowserSessionTest extends IntegrationTest {

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @Test
    void aValidTokenStartsAnHttpOnlyStrictSessionAndAnInvalidOneDoesNot() throws Exception {
        String token = createUser("dora");
        HttpResponse<String> refused = login("pst_not-a-real-token");
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.headers().firstValue("Set-Cookie")).isEmpty();
        assertThat(refused.body()).contains("not valid").doesNotContain("pst_not-a-real-token");

        HttpResponse<String> started = login(token);
        assertThat(started.statusCode()).isEqualTo(302);
        assertThat(URI.create(started.headers().firstValue("Location").orElseThrow()).getPath()).isEqualTo("/");
        String setCookie = started.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).startsWith("pollster_session=").contains("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200")
                .doesNotContain("Secure").doesNotContain(token);
        assertThat(TestDatabase.get().scalar("SELECT count(*) FROM browser_sessions")).isEqualTo(1);
        assertThat(TestDatabase.get().strings("SELECT encode(id_hash, 'hex') || csrf FROM browser_sessions").getFirst())
                .doesNotContain(cookie(started).substring("pollster_session=".length()));

        HttpResponse<String> jobs = get("/", cookie(started));
        assertThat(jobs.statusCode()).isEqualTo(200);
        assertThat(jobs.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(p -> assertThat(p).contains("default-src 'self'"));
        assertThat(jobs.body()).contains("No jobs yet").contains("dora");
    }

    @Test
    void anAdminSessionStoresNoPlainHashOfTheAdminTokenAndOneStoredThatWayIsNoSession() throws Exception {
        String cookie = cookie(login(ADMIN_TOKEN));
        assertThat(get("/cluster", cookie).statusCode()).isEqualTo(200);
        String plainHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(ADMIN_TOKEN.getBytes(StandardCharsets.UTF_8)));
        assertThat(TestDatabase.get().strings("SELECT encode(token_hash, 'hex') FROM browser_sessions WHERE user_id IS NULL"))
                .hasSize(1).doesNotContain(plainHash);

        // a session row as the old code stored it: the same cookie, bound by the plain hash
        TestDatabase.get().execute("UPDATE browser_sessions SET token_hash = decode('" + plainHash + "', 'hex')");
        assertLoggedOut(cookie);
    }

    @Test
    void aLoginBeyondTwentySessionsEndsTheUsersOldestAndNoOneElses() throws Exception {
        String token = createUser("kate");
        String others = cookie(login(createUser("liam")));
        String oldest = cookie(login(token));
        String second = cookie(login(token));
        for (int i = 0; i < 19; i++) {
            login(token);
        }

        assertLoggedOut(oldest);
        assertThat(get("/", second).statusCode()).isEqualTo(200);
        assertThat(get("/", others).statusCode()).isEqualTo(200);
        assertThat(TestDatabase.get().scalar("SELECT count(*) FROM browser_sessions")).isEqualTo(21);
    }

    @Test
    void theCookieReadsTheApiButNeverWritesIt() throws Exception {
        String cookie = cookie(login(createUser("erin")));
        assertThat(get("/api/v1/jobs", cookie).statusCode()).isEqualTo(200);
        HttpResponse<String> write = http.send(HttpRequest.newBuilder(uri("/api/v1/jobs"))
                .header("Cookie", cookie).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"https://example.com\",\"interval\":\"1h\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(write.statusCode()).isEqualTo(401);
        // nor by a path the container decodes into the API's (with the form's CSRF token, even)
        String csrf = TestDatabase.get().strings("SELECT csrf FROM browser_sessions").getFirst();
        for (String disguised : new String[] {"/%61pi/v1/jobs", "/api;x=1/v1/jobs", "/ui/../api/v1/jobs"}) {
            HttpResponse<String> sneaked = http.send(HttpRequest.newBuilder(uri(disguised))
                    .header("Cookie", cookie).header("Content-Type", "application/json").header("X-CSRF-Token", csrf)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"https://example.com\",\"interval\":\"1h\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(sneaked.statusCode()).as(disguised).isIn(400, 401);
        }
        assertThat(TestDatabase.get().scalar("SELECT count(*) FROM jobs")).isZero();
    }

    @Test
    void theJobSearchFindsNamesAndUrlsInAnyCaseWithPlusesKept() throws Exception {
        String token = createUser("ivan");
        for (String name : new String[] {"C++ releases", "C releases"}) {
            assertThat(api().as(token).post("/api/v1/jobs", "{\"name\":\"%s\",\"url\":\"https://example.com/%s\",\"interval\":\"1h\"}"
                    .formatted(name, name.length())).status()).isEqualTo(201);
        }
        String cookie = cookie(login(token));
        assertThat(get("/?q=c%2B%2B", cookie).body()).contains("C++ releases").doesNotContain("C releases");
        assertThat(get("/?q=RELEASES", cookie).body()).contains("C++ releases", "C releases");
        assertThat(get("/?q=example.com/12", cookie).body()).contains("C++ releases").doesNotContain("C releases");
        assertThat(api().as(token).get("/api/v1/jobs?q=" + "x".repeat(201)).status()).isEqualTo(400);
    }

    @Test
    void aFormWithoutTheSessionsCsrfTokenIsRefusedAndChangesNothing() throws Exception {
        String cookie = cookie(login(createUser("fred")));
        String form = "url=" + URLEncoder.encode("https://example.com/a", StandardCharsets.UTF_8) + "&interval=1h";
        assertThat(post("/jobs", cookie, form).statusCode()).isEqualTo(403);
        assertThat(post("/jobs", cookie, form + "&_csrf=guess").statusCode()).isEqualTo(403);
        assertThat(post("/logout", cookie, "").statusCode()).isEqualTo(403);
        assertThat(TestDatabase.get().scalar("SELECT count(*) FROM jobs")).isZero();

        String csrf = TestDatabase.get().strings("SELECT csrf FROM browser_sessions").getFirst();
        HttpResponse<String> created = post("/jobs", cookie, form + "&_csrf=" + csrf);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(302);
        assertThat(URI.create(created.headers().firstValue("Location").orElseThrow()).getPath()).startsWith("/jobs/");
        assertThat(TestDatabase.get().scalar("SELECT count(*) FROM jobs")).isEqualTo(1);
        // a request the browser says comes from another site is refused even with the token
        HttpResponse<String> crossSite = http.send(HttpRequest.newBuilder(uri("/jobs")).header("Cookie", cookie)
                .header("Origin", "https://elsewhere.example").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form + "&_csrf=" + csrf)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(crossSite.statusCode()).isEqualTo(403);
        assertThat(TestDatabase.get().scalar("SELECT count(*) FROM jobs")).isEqualTo(1);
    }

    @Test
    void aSessionEndsAtLogoutAtExpiryAndWithItsUser() throws Exception {
        String token = createUser("gina");
        String first = cookie(login(token));
        String csrf = TestDatabase.get().strings("SELECT csrf FROM browser_sessions").getFirst();
        HttpResponse<String> out = post("/logout", first, "_csrf=" + csrf);
        assertThat(out.statusCode()).isEqualTo(302);
        assertThat(out.headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0");
        assertLoggedOut(first);

        String second = cookie(login(token));
        TestDatabase.get().execute("UPDATE browser_sessions SET expires_at = now() - interval '1 second'");
        assertLoggedOut(second);

        String third = cookie(login(token));
        assertThat(get("/", third).statusCode()).isEqualTo(200);
        String id = api().as(token).get("/api/v1/me").json().get("id").asString();
        assertThat(admin().delete("/api/v1/users/" + id).status()).isEqualTo(204);
        assertLoggedOut(third);
        assertThat(TestDatabase.get().scalar("SELECT count(*) FROM browser_sessions WHERE expires_at > now()")).isZero();
    }

    @Test
    void pagesWithoutASessionSendToTheLoginAndUnknownJobsAreNotFound() throws Exception {
        assertThat(get("/", null).headers().firstValue("Location").orElseThrow()).endsWith("/login");
        HttpResponse<String> htmx = http.send(HttpRequest.newBuilder(uri("/jobs/01a22c62-16d9-708d-b6da-98bddbd8ee5e/live"))
                .header("HX-Request", "true").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(htmx.statusCode()).isEqualTo(401);
        assertThat(htmx.headers().firstValue("HX-Redirect")).hasValue("/login");

        String cookie = cookie(login(createUser("hank")));
        HttpResponse<String> malformed = get("/jobs/not-an-id", cookie);
        assertThat(malformed.statusCode()).isEqualTo(404);
        assertThat(malformed.body()).contains("Not found").doesNotContain("Exception");
        assertThat(get("/jobs/01a22c62-16d9-708d-b6da-98bddbd8ee5e", cookie).statusCode()).isEqualTo(404);
        assertThat(get("/cluster", cookie).statusCode()).isEqualTo(403);
    }

    private void assertLoggedOut(String cookie) throws Exception {
        HttpResponse<String> page = get("/", cookie);
        assertThat(page.statusCode()).isEqualTo(302);
        assertThat(page.headers().firstValue("Location").orElseThrow()).endsWith("/login");
        assertThat(get("/api/v1/jobs", cookie).statusCode()).isEqualTo(401);
    }

    private HttpResponse<String> login(String token) throws IOException, InterruptedException {
        return post("/login", null, "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
    }

    private static String cookie(HttpResponse<?> login) {
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    private HttpResponse<String> get(String path, String cookie) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).GET();
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String cookie, String form) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }
}
