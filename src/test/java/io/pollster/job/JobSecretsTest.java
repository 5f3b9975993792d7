package io.pollster.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import io.pollster.support.LegacySecrets;
import io.pollster.support.TestDatabase;
import io.pollster.support.TestDirs;
import io.pollster.system.secret.UnreadableSecretException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Secret headers at rest: bound to their job, and the upgrade of values sealed before that binding. */
class JobSecretsTest extends IntegrationTest {

    private static final Map<String, String> SECRETS = Map.of("Authorization", "Bearer legacy-secret", "X-Key", "k1");

    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private JobService service;
    @Autowired
    private JobRepository jobs;
    @Autowired
    private SecretsUpgrade upgrade;

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

    @Test
    void aFormat1ValueOpensAndTheStartupPassSealsItAgainBoundToItsJob() throws IOException {
        String id = job("Bearer new-secret");
        byte[] legacy = LegacySecrets.sealFormat1(keyString(), secretJson(SECRETS));
        store(id, legacy);
        long version = find(id).version();

        assertThat(service.openSecrets(find(id))).isEqualTo(SECRETS);
        SecretsUpgrade.Result result = upgrade.resealAll();

        assertThat(result.resealed()).isEqualTo(1);
        assertThat(result.unreadable()).isEmpty();
        Job upgraded = find(id);
        assertThat(upgraded.sealedSecrets()[0]).isEqualTo((byte) 2);
        assertThat(service.openSecrets(upgraded)).isEqualTo(SECRETS);
        assertThat(upgraded.version()).as("the plaintext is the same: no new definition").isEqualTo(version);
        // bound now: the same value in another job's row no longer opens
        String other = job("Bearer other");
        copySecrets(id, other);
        assertThatThrownBy(() -> service.openSecrets(find(other))).isInstanceOf(UnreadableSecretException.class);
        assertThat(upgrade.resealAll().resealed()).as("nothing left to do").isZero();
    }

    @Test
    void theStartupPassLeavesAValueThatDoesNotOpenAndGoesOn() throws IOException {
        String unreadable = job("Bearer x");
        String readable = job("Bearer y");
        store(unreadable, LegacySecrets.sealFormat1("some other key string", secretJson(SECRETS)));
        store(readable, LegacySecrets.sealFormat1(keyString(), secretJson(SECRETS)));

        SecretsUpgrade.Result result = upgrade.resealAll();

        assertThat(result.resealed()).isEqualTo(1);
        assertThat(result.unreadable()).containsExactly(new JobId(UUID.fromString(unreadable)));
        assertThat(find(unreadable).sealedSecrets()[0]).isEqualTo((byte) 1);
        assertThat(service.openSecrets(find(readable))).isEqualTo(SECRETS);
    }

    @Test
    void aRowHeldByAnotherTransactionIsSkippedAndUpgradedNextTime() throws Exception {
        String held = job("Bearer x");
        String free = job("Bearer y");
        store(held, LegacySecrets.sealFormat1(keyString(), secretJson(SECRETS)));
        store(free, LegacySecrets.sealFormat1(keyString(), secretJson(SECRETS)));

        try (Connection c = TestDatabase.get().connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement lock = c.prepareStatement("SELECT id FROM jobs WHERE id = ? FOR UPDATE")) {
                lock.setObject(1, UUID.fromString(held));
                lock.executeQuery().close();
            }
            assertThat(upgrade.resealAll().resealed()).isEqualTo(1);
            c.rollback();
        }

        assertThat(find(free).sealedSecrets()[0]).isEqualTo((byte) 2);
        assertThat(find(held).sealedSecrets()[0]).isEqualTo((byte) 1);
        assertThat(upgrade.resealAll().resealed()).isEqualTo(1);
        assertThat(service.openSecrets(find(held))).isEqualTo(SECRETS);
    }

    /** Two nodes starting at once: every row is upgraded exactly once between them. */
    @Test
    void twoPassesAtOnceSplitTheRows() throws Exception {
        String first = job("Bearer x");
        store(first, LegacySecrets.sealFormat1(keyString(), secretJson(SECRETS)));
        // format 1 is bound to no row, so one value serves every copy
        jdbc.sql("""
                INSERT INTO jobs (id, owner_id, spec, secret_headers, status, created_at, updated_at)
                SELECT gen_random_uuid(), owner_id, spec, secret_headers, status, created_at, updated_at
                FROM jobs, generate_series(1, 999)
                """).update();
        jdbc.sql("""
                INSERT INTO job_schedules (job_id, interval_ms, jitter_ms)
                SELECT id, 30000, 0 FROM jobs WHERE id NOT IN (SELECT job_id FROM job_schedules)
                """).update();
        jdbc.sql("INSERT INTO job_polls (job_id) SELECT id FROM jobs WHERE id NOT IN (SELECT job_id FROM job_polls)").update();

        CompletableFuture<SecretsUpgrade.Result> one = CompletableFuture.supplyAsync(upgrade::resealAll);
        CompletableFuture<SecretsUpgrade.Result> two = CompletableFuture.supplyAsync(upgrade::resealAll);

        assertThat(one.get().resealed() + two.get().resealed()).isEqualTo(1000);
        List<UUID> ids = jdbc.sql("SELECT id FROM jobs").query(UUID.class).list();
        List<Map<String, String>> opened = new ArrayList<>();
        for (UUID id : ids) {
            Job job = jobs.find(new JobId(id)).orElseThrow();
            assertThat(job.sealedSecrets()[0]).isEqualTo((byte) 2);
            opened.add(service.openSecrets(job));
        }
        assertThat(opened).hasSize(1000).containsOnly(SECRETS);
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

    private void store(String id, byte[] sealed) {
        jdbc.sql("UPDATE jobs SET secret_headers = :sealed WHERE id = :id")
                .param("sealed", sealed).param("id", UUID.fromString(id)).update();
    }

    /** The test context has no POLLSTER_SECRET_KEY: its key is the one generated into its data directory. */
    private static String keyString() throws IOException {
        return Files.readString(TestDirs.runDir().resolve("data").resolve("secret-key"), StandardCharsets.UTF_8).strip();
    }

    private static byte[] secretJson(Map<String, String> secrets) {
        StringBuilder json = new StringBuilder("{");
        new TreeMap<>(secrets).forEach((k, v) -> json.append(json.length() > 1 ? "," : "")
                .append('"').append(k).append("\":\"").append(v).append('"'));
        return json.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }
}
