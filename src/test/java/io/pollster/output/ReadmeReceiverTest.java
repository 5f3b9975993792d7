package io.pollster.output;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream.Answer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The README's webhook receiver ({@code docs/examples/receiver.py}) verifies what Pollster sends. */
class ReadmeReceiverTest extends PipelineTest {

    @Test
    void theReadmeReceiverVerifiesPollstersSignature() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Api alice = api().as(createUser("alice"));
        upstream.route("/readme", n -> Answer.json("{\"a\":1}"));
        Api.Response created = alice.post("/api/v1/jobs", """
                {"url":"%s","interval":"1h","active":false,"outputs":[{"type":"webhook","url":"http://127.0.0.1:%d/hook"}]}
                """.formatted(upstream.url("/readme"), port));
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().get("id").asString();
        String secret = created.json().get("outputs").get(0).get("secret").asString();

        Process receiver;
        try {
            receiver = new ProcessBuilder("python3", Path.of("docs", "examples", "receiver.py").toString(), secret,
                    Integer.toString(port)).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("This test runs the README's receiver with python3 (Debian package python3): " + e, e);
        }
        List<String> printed = new CopyOnWriteArrayList<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(receiver.getInputStream(), StandardCharsets.UTF_8))) {
                lines.lines().forEach(printed::add);
            } catch (Exception ended) {
                // the receiver was stopped
            }
        });
        try {
            Thread.sleep(500); // the receiver binds its port; a delivery before that is retried
            alice.post("/api/v1/jobs/" + id + "/run");
            await("the receiver checked a delivery").atMost(Duration.ofSeconds(60)).until(() -> !printed.isEmpty());
            assertThat(printed.getFirst()).startsWith("verified ").contains("\"jobId\":\"" + id + "\"");
        } finally {
            receiver.destroy();
        }
    }
}
