package io.pollster.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The few calls of Pollster's API the scenarios need. */
final class PollsterApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();

    PollsterApi(URI base) {
        this.base = base;
    }

    record NewUser(UUID id, String token) {
    }

    /** Creates a user with the admin token; its API token is shown only in this answer. */
    NewUser createUser(String name) throws IOException, InterruptedException {
        JsonNode user = post("/api/v1/users", PollsterChild.ADMIN_TOKEN, JSON.writeValueAsString(Map.of("name", name)), 201);
        return new NewUser(UUID.fromString(user.get("id").asText()), user.get("token").asText());
    }

    /** Creates a job through the API (validated, defaults filled in); returns its id. */
    UUID createJob(String token, String url, String interval) throws IOException, InterruptedException {
        JsonNode job = post("/api/v1/jobs", token, JSON.writeValueAsString(Map.of("url", url, "interval", interval)), 201);
        return UUID.fromString(job.get("id").asText());
    }

    /** Creates a job from a whole JSON definition (e.g. with pagination); returns its id. */
    UUID createJob(String token, String definition) throws IOException, InterruptedException {
        JsonNode job = post("/api/v1/jobs", token, definition, 201);
        return UUID.fromString(job.get("id").asText());
    }

    /** GETs a JSON answer; anything but 200 is an error. */
    JsonNode get(String path, String token) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .GET()
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** An answer whose status the caller judges; {@code body} is null when it is not JSON. */
    record Answer(int status, JsonNode body, String text) {
    }

    /**
     * POSTs a JSON body, or none when {@code body} is null, and returns the answer whatever its
     * status: for a request Pollster may refuse (e.g. a job field an older jar does not know).
     */
    Answer post(String path, String token, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token);
        if (body == null) {
            request.POST(HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json;
        try {
            json = JSON.readTree(response.body());
        } catch (IOException notJson) {
            json = null;
        }
        return new Answer(response.statusCode(), json, response.body());
    }

    /** POSTs without a body (e.g. {@code /jobs/{id}/run}) and checks the status code. */
    void postEmpty(String path, String token, int expected) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IOException("POST " + path + " answered " + response.statusCode() + ": " + response.body());
        }
    }

    /** POSTs a JSON body and returns the status code; for load, where the answer's body does not matter. */
    int postStatus(String path, String token, byte[] body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private JsonNode post(String path, String token, String body, int expected) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IOException("POST " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }
}
