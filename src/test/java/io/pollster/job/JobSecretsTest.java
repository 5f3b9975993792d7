package io.pollster.job;

import java.util.Map;
import java.util.UUID;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import io.pollster.system.secret.UnreadableSecretException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Secret headers at rest are bound to their job. */
class JobSecretsTest extends IntegrationTest {

    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private JobService service;
    @Autowired
    private JobRepository jobs;

    private Api alice;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    @Test
    void secretsCopiedFromAnotherJobDoNotOpenAndAPatchThatKeepsThemIsRefusedSayingWhy() {
        String a = job("Bearer a-secret");
        String b = job("Bearer b-secret");
        copySecrets(a, b);

        assertThatThrownBy(() -> service.openSecrets(find(b))).isInstanceOf(UnreadableSecretException.class);
        Api.Response patched = alice.patch("/api/v1/jobs/" + b, "{\"interval\":\"1m\"}");

        assertThat(patched.status()).as(patched.toString()).isEqualTo(409);
        assertThat(patched.contentType()).startsWith("application/problem+json");
        assertThat(patched.json().get("detail").asString())
                .contains("cannot be decrypted")
                .contains("send every secretHeaders value again");
        assertThat(patched.body()).doesNotContain("a-secret").doesNotContain("Exception");
        assertThat(service.openSecrets(find(a))).containsEntry("Authorization", "Bearer a-secret");
    }

    @Test
    void aJobWhoseSecretsDoNotOpenCanBeStoppedAndRepairedBySendingThemAgain() {
        String a = job("Bearer a-secret");
        String b = job("Bearer b-secret");
        copySecrets(a, b);

        assertThat(alice.post("/api/v1/jobs/" + b + "/stop").status()).isEqualTo(200);
        assertThat(alice.post("/api/v1/jobs/" + b + "/start").status()).isEqualTo(200);
        Api.Response repaired = alice.patch("/api/v1/jobs/" + b, """
                {"secretHeaders":{"Authorization":"Bearer b-again"}}""");

        assertThat(repaired.status()).as(repaired.toString()).isEqualTo(200);
        assertThat(service.openSecrets(find(b))).isEqualTo(Map.of("Authorization", "Bearer b-again"));
    }

    private String job(String authorization) {
        Api.Response created = alice.post("/api/v1/jobs", """
                {"url":"https://api.example.com/x","interval":"30s","secretHeaders":{"Authorization":"%s"}}
                """.formatted(authorization));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("id").asString();
    }

    private Job find(String id) {
        return jobs.find(new JobId(UUID.fromString(id))).orElseThrow();
    }

    private void copySecrets(String from, String to) {
        int rows = jdbc.sql("""
                UPDATE jobs
                SET secret_headers = (SELECT secret_headers FROM jobs WHERE id = :from)
                WHERE id = :to
                """).param("from", UUID.fromString(from)).param("to", UUID.fromString(to)).update();
        assertThat(rows).isEqualTo(1);
    }
}
