package io.pollster.user;

import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import io.pollster.support.TestDatabase;
import io.pollster.system.web.ApiException;
import io.pollster.system.web.InvalidField;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UserApiTest extends IntegrationTest {

    @Autowired
    private UserService users;

    @Test
    void adminCreatesAUserWhoseTokenIsShownOnceAndStoredOnlyAsItsHash() throws Exception {
        Api.Response created = admin().post("/api/v1/users", "{\"name\":\"alice\"}");

        assertThat(created.status()).isEqualTo(201);
        JsonNode body = created.json();
        String id = body.get("id").asString();
        String token = body.get("token").asString();
        assertThat(body.get("name").asString()).isEqualTo("alice");
        assertThat(body.get("createdAt").asString()).endsWith("Z");
        assertThat(token).startsWith("pst_").hasSizeGreaterThan(40);
        assertThat(created.header("Location")).isEqualTo("/api/v1/users/" + id);

        assertThat(admin().get("/api/v1/users").body()).contains("alice").doesNotContain(token);
        assertThat(admin().get("/api/v1/users/" + id).json().has("token")).isFalse();
        try (Connection c = TestDatabase.get().connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM users")) {
            assertThat(rs.next()).isTrue();
            for (int col = 1; col <= rs.getMetaData().getColumnCount(); col++) {
                assertThat(String.valueOf(rs.getObject(col))).doesNotContain(token);
            }
            assertThat(rs.getBytes("token_hash"))
                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(token.getBytes(UTF_8)));
        }
    }

    @Test
    void aUsersTokenIdentifiesThemOnMe() {
        String token = createUser("bob");

        JsonNode me = api().as(token).get("/api/v1/me").json();

        assertThat(me.get("name").asString()).isEqualTo("bob");
        assertThat(me.get("admin").asBoolean()).isFalse();
        assertThat(admin().get("/api/v1/me").json().get("admin").asBoolean()).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"GET,/api/v1/me", "GET,/api/v1/users", "POST,/api/v1/users", "GET,/api/v1/no-such-endpoint"})
    void everyApiCallWithoutAValidBearerTokenIs401(String method, String path) {
        List<Api.Response> answers = new ArrayList<>();
        for (String header : new String[] {null, "Bearer", "Bearer wrong-token", "Basic " + ADMIN_TOKEN, ADMIN_TOKEN}) {
            var request = api().request(path).method(method,
                    java.net.http.HttpRequest.BodyPublishers.ofString("{\"name\":\"mallory\"}"))
                    .header("Content-Type", "application/json");
            if (header != null) {
                request.header("Authorization", header);
            }
            answers.add(api().send(request));
        }

        assertThat(answers).allSatisfy(answer -> {
            assertThat(answer.status()).isEqualTo(401);
            assertThat(answer.contentType()).startsWith("application/problem+json");
            assertThat(answer.header("WWW-Authenticate")).isEqualTo("Bearer");
            assertThat(answer.json().get("status").asInt()).isEqualTo(401);
        });
        assertThat(admin().get("/api/v1/users").json().get("items")).isEmpty();
    }

    @Test
    void theBearerSchemeIsCaseInsensitive() {
        var request = api().request("/api/v1/me").header("Authorization", "bearer " + ADMIN_TOKEN);
        assertThat(api().send(request).status()).isEqualTo(200);
    }

    @Test
    void onlyTheAdminManagesUsers() {
        String token = createUser("carol");
        String id = admin().get("/api/v1/users").json().get("items").get(0).get("id").asString();
        Api carol = api().as(token);

        assertThat(carol.post("/api/v1/users", "{\"name\":\"dave\"}").status()).isEqualTo(403);
        assertThat(carol.get("/api/v1/users").status()).isEqualTo(403);
        assertThat(carol.get("/api/v1/users/" + id).status()).isEqualTo(403);
        assertThat(carol.delete("/api/v1/users/" + id).status()).isEqualTo(403);
        assertThat(admin().get("/api/v1/users").json().get("items")).hasSize(1);
    }

    @Test
    void aTakenNameIs409AndChangesNothing() {
        createUser("erin");

        Api.Response again = admin().post("/api/v1/users", "{\"name\":\"erin\"}");

        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().get("detail").asString()).contains("erin");
        assertThat(admin().get("/api/v1/users").json().get("items")).hasSize(1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "unknown field     | {\"name\":\"x\",\"admin\":true} | admin",
            "missing name      | {}                              | name",
            "null name         | {\"name\":null}                 | name",
            "empty name        | {\"name\":\"\"}                 | name",
            "leading space     | {\"name\":\" x\"}               | name",
            "name too long     | {\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"} | name",
            "number for string | {\"name\":5}                    | name",
            "object for string | {\"name\":{}}                   | name",
    })
    void invalidUserBodiesAre400WithTheFieldNamedAndNothingWritten(String caseName, String body, String field) {
        Api.Response answer = admin().post("/api/v1/users", body);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(400);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        JsonNode problem = answer.json();
        assertThat(problem.get("type").asString()).isEqualTo("about:blank");
        assertThat(problem.get("title").asString()).isEqualTo("Bad Request");
        assertThat(problem.get("status").asInt()).isEqualTo(400);
        assertThat(problem.get("errors").get(0).get("field").asString()).isEqualTo(field);
        assertThat(admin().get("/api/v1/users").json().get("items")).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "NUL inside         | al\\u0000ice",
            "NUL alone          | \\u0000",
            "NUL at the end     | alice\\u0000",
            "NUL after a space  | alice \\u0000",
    })
    void aNameWithANulCharacterIs400NamingTheFieldNever500(String caseName, String escapedName) {
        Api.Response answer = admin().post("/api/v1/users", "{\"name\":\"" + escapedName + "\"}");

        assertThat(answer.status()).as(answer.toString()).isEqualTo(400);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.json().get("errors").valueStream().map(e -> e.get("field").asString())).containsExactly("name");
        assertThat(admin().get("/api/v1/users").json().get("items")).isEmpty();
    }

    @Test
    void theServiceRefusesControlCharactersInANameWhateverTheCallerChecked() {
        for (String name : List.of("al\0ice", "\0", "alice\n", "bob\033[31m")) {
            assertThatThrownBy(() -> users.create(name)).as(name).isInstanceOfSatisfying(ApiException.class, e -> {
                assertThat(e.status().value()).isEqualTo(400);
                assertThat(e.errors()).extracting(InvalidField::field).containsExactly("name");
            });
        }
        assertThat(admin().get("/api/v1/users").json().get("items")).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"{\"name\":", "not json", "{\"name\":\"x\"} {\"name\":\"y\"}", "''"})
    void malformedJsonIs400WithoutAStackTrace(String body) {
        Api.Response answer = admin().post("/api/v1/users", body);

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.body()).doesNotContain("Exception", "at io.", "at org.", "tools.jackson");
        assertThat(admin().get("/api/v1/users").json().get("items")).isEmpty();
    }

    @Test
    void usersArePagedWithACursor() {
        for (String name : List.of("u1", "u2", "u3", "u4", "u5")) {
            createUser(name);
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = admin().get("/api/v1/users?limit=2" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            page.get("items").forEach(item -> seen.add(item.get("name").asString()));
            cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asString();
            pages++;
        } while (cursor != null);

        assertThat(seen).containsExactly("u1", "u2", "u3", "u4", "u5");
        assertThat(pages).isEqualTo(3);
    }

    @ParameterizedTest
    @CsvSource({"limit=0,limit", "limit=1001,limit", "limit=abc,limit", "cursor=%25%25%25,cursor", "cursor=bm90LWEtdXVpZA,cursor"})
    void badPagingParametersAre400(String query, String field) {
        Api.Response answer = admin().get("/api/v1/users?" + query);

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().get("errors").get(0).get("field").asString()).isEqualTo(field);
    }

    @Test
    void deletingAUserRevokesTheirTokenAtOnce() {
        String token = createUser("frank");
        String id = admin().get("/api/v1/users").json().get("items").get(0).get("id").asString();
        assertThat(api().as(token).get("/api/v1/me").status()).isEqualTo(200);

        assertThat(admin().delete("/api/v1/users/" + id).status()).isEqualTo(204);

        assertThat(api().as(token).get("/api/v1/me").status()).isEqualTo(401);
        assertThat(admin().delete("/api/v1/users/" + id).status()).isEqualTo(404);
        assertThat(admin().get("/api/v1/users/" + id).status()).isEqualTo(404);
    }

    @Test
    void aMalformedIdIs400AndAnUnknownEndpoint404() {
        assertThat(admin().get("/api/v1/users/not-a-uuid").status()).isEqualTo(400);
        Api.Response missing = admin().get("/api/v1/nothing-here");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.contentType()).startsWith("application/problem+json");
    }

    @Test
    void aWrongMethodOrMediaTypeIsAProblemToo() {
        assertThat(admin().delete("/api/v1/me").status()).isEqualTo(405);
        var xml = admin().request("/api/v1/users").header("Content-Type", "application/xml")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("<name>x</name>"));
        Api.Response answer = admin().send(xml);
        assertThat(answer.status()).isEqualTo(415);
        assertThat(answer.contentType()).startsWith("application/problem+json");
    }
}
