package io.pollster.job;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import io.pollster.system.Durations;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Checks a job's {@code outputs} and fills their defaults. A webhook's secret is
 * {@code whsec_<base64 of 24 to 64 bytes>}; omitted, one is generated (shown once, in the answer
 * that saved it); {@code "***"} keeps the secret of the webhook at the same position.
 */
final class OutputsValidator {

    static final int MAX_OUTPUTS = 10;
    private static final String SECRET_PREFIX = "whsec_";
    private static final Set<String> WEBHOOK_FIELDS = Set.of("type", "url", "secret", "rate", "retry");
    private static final Set<String> FILE_FIELDS = Set.of("type", "dir", "batchSize", "linger");
    private static final Pattern SAFE_DIR = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");
    private static final Set<String> RABBIT_FIELDS = Set.of("type", "exchange", "routingKey", "format");
    /**
     * A routing key template's length once filled in, {@code {jobId}} counting 36 and {@code {type}}
     * {@value #LONGEST_TYPE}: with the owner's id and a dot before it (37), it stays well within AMQP's 255.
     */
    static final int MAX_ROUTING_KEY = 200;
    private static final int LONGEST_TYPE = 32;
    private static final Pattern ROUTING_KEY = Pattern.compile("([A-Za-z0-9._:#*-]|\\{jobId}|\\{type})*");
    private static final Set<String> RATE_FIELDS = Set.of("limit", "per");
    private static final Set<String> RETRY_FIELDS = Set.of("maxAttempts", "backoff", "maxBackoff");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Checks an output's URL as the job's own (absolute http(s), no credentials, no literal private address). */
    interface UrlCheck {
        String check(String field, String raw, JobValidator.Errors errors);
    }

    /**
     * @param stored  the outputs as stored and shown from now on, secrets masked
     * @param shown   the outputs as this answer shows them: a generated secret in clear, once
     * @param secrets each output's secret by position (null where none)
     */
    record Result(List<JsonNode> stored, List<JsonNode> shown, List<String> secrets) {
        static final Result NONE = new Result(List.of(), List.of(), List.of());
    }

    private OutputsValidator() {
    }

    /**
     * @param brokerConfigured whether this installation has a RabbitMQ broker to publish to
     *                         ({@code SPRING_RABBITMQ_*} or the RabbitMQ transport)
     * @param exchanges        the exchanges RabbitMQ outputs may name
     */
    static Result validate(List<JsonNode> given, List<String> existingSecrets, List<JsonNode> existingOutputs, UrlCheck urls,
                           boolean brokerConfigured, RabbitOutputProperties exchanges, JobValidator.Errors errors) {
        if (given == null || given.isEmpty()) {
            return Result.NONE;
        }
        if (given.size() > MAX_OUTPUTS) {
            errors.add("outputs", "at most " + MAX_OUTPUTS + " outputs per job");
            return Result.NONE;
        }
        List<JsonNode> stored = new ArrayList<>();
        List<JsonNode> shown = new ArrayList<>();
        List<String> secrets = new ArrayList<>();
        for (int i = 0; i < given.size(); i++) {
            String field = "outputs[" + i + "]";
            JsonNode output = given.get(i);
            if (output == null || !output.isObject()) {
                errors.add(field, "must be an object with a type");
                continue;
            }
            String type = output.path("type").isString() ? output.path("type").asString() : null;
            if (type == null || !OutputDefinition.TYPES.contains(type)) {
                errors.add(field + ".type", "must be one of " + String.join(", ", OutputDefinition.TYPES));
                continue;
            }
            if (type.equals("file")) {
                JsonNode file = file(field, output, errors);
                stored.add(file);
                shown.add(file);
                secrets.add(null);
                continue;
            }
            if (type.equals("rabbitmq")) {
                JsonNode rabbit = rabbitMq(field, output, brokerConfigured, exchanges, errors);
                stored.add(rabbit);
                shown.add(rabbit);
                secrets.add(null);
                continue;
            }
            String existing = i < existingSecrets.size() ? existingSecrets.get(i) : null;
            String existingUrl = i < existingOutputs.size() && existingOutputs.get(i).path("type").asString("").equals("webhook")
                    ? existingOutputs.get(i).path("url").asString(null) : null;
            webhook(field, (ObjectNode) output, existing, existingUrl, urls, errors, stored, shown, secrets);
        }
        return new Result(stored, shown, secrets);
    }

    private static void webhook(String field, ObjectNode given, String existingSecret, String existingUrl, UrlCheck urls,
                                JobValidator.Errors errors, List<JsonNode> stored, List<JsonNode> shown, List<String> secrets) {
        unknownFields(field, given, WEBHOOK_FIELDS, errors);
        JsonNode rawUrl = given.path("url");
        String url = urls.check(field + ".url", rawUrl.isString() ? rawUrl.asString() : null, errors);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("type", "webhook");
        out.put("url", url);
        String secret = null;
        boolean generated = false;
        JsonNode rawSecret = given.path("secret");
        if (rawSecret.isMissingNode() || rawSecret.isNull()) {
            secret = generateSecret();
            generated = true;
        } else if (!rawSecret.isString()) {
            errors.add(field + ".secret", "must be a string: whsec_ followed by base64");
        } else if (rawSecret.asString().equals(JobSpec.MASK)) {
            if (existingSecret == null || existingUrl == null) {
                errors.add(field + ".secret", "'***' keeps the secret of the webhook at this position, and there is none");
            } else if (url != null && !JobValidator.sameOrigin(existingUrl, url)) {
                // a secret signs for one receiver: another origin must not be able to forge the first one's webhooks
                errors.add(field + ".secret", "the URL now points to another origin (scheme, host or port) than the webhook at "
                        + "this position: give a secret again, or omit it to have one generated");
            }
            secret = existingSecret;
        } else {
            secret = rawSecret.asString();
            String problem = secretProblem(secret);
            if (problem != null) {
                errors.add(field + ".secret", problem);
            }
        }
        out.put("secret", JobSpec.MASK);
        JsonNode rate = given.path("rate");
        if (!rate.isMissingNode() && !rate.isNull()) {
            out.set("rate", rate(field + ".rate", rate, errors));
        }
        JsonNode retry = given.path("retry");
        if (!retry.isMissingNode() && !retry.isNull()) {
            out.set("retry", retry(field + ".retry", retry, errors));
        }
        stored.add(out);
        ObjectNode answer = out.deepCopy();
        if (generated) {
            answer.put("secret", secret);
        }
        shown.add(answer);
        secrets.add(secret);
    }

    private static JsonNode file(String field, JsonNode given, JobValidator.Errors errors) {
        unknownFields(field, given, FILE_FIELDS, errors);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("type", "file");
        JsonNode dir = given.path("dir");
        String problem = !dir.isString() ? "is required: a directory relative to your outputs folder, such as \"out/prices\""
                : dirProblem(dir.asString());
        if (problem != null) {
            errors.add(field + ".dir", problem);
        } else {
            out.put("dir", dir.asString());
        }
        JsonNode batchSize = given.path("batchSize");
        if (batchSize.isMissingNode()) {
            out.put("batchSize", 100);
        } else if (!batchSize.isIntegralNumber() || batchSize.asLong() < 1 || batchSize.asLong() > 10_000) {
            errors.add(field + ".batchSize", "must be a whole number between 1 and 10000");
        } else {
            out.put("batchSize", batchSize.asInt());
        }
        Duration linger = given.has("linger") ? duration(field + ".linger", given.path("linger"), errors) : Duration.ofSeconds(1);
        if (linger != null && (linger.isNegative() || linger.compareTo(Duration.ofHours(1)) > 0)) {
            errors.add(field + ".linger", "must be between 0 and 1h");
        } else if (linger != null) {
            out.put("linger", linger.toString());
        }
        return out;
    }

    private static JsonNode rabbitMq(String field, JsonNode given, boolean brokerConfigured, RabbitOutputProperties allowed,
                                     JobValidator.Errors errors) {
        unknownFields(field, given, RABBIT_FIELDS, errors);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("type", "rabbitmq");
        if (!brokerConfigured) {
            errors.add(field + ".type", "this Pollster has no RabbitMQ broker to publish to: set SPRING_RABBITMQ_HOST "
                    + "(and its user and password), or use a webhook or file output");
        }
        JsonNode exchange = given.path("exchange");
        if (exchange.isMissingNode()) {
            out.put("exchange", RabbitOutputProperties.DEFAULT_EXCHANGE);
        } else if (!exchange.isString() || !allowed.allows(exchange.asString())) {
            // why: exchanges are shared by every user of the broker; only the operator opens more of them
            errors.add(field + ".exchange", "must be one of the exchanges this Pollster publishes to: " + allowed.allowed()
                    + " (the operator may allow more with pollster.outputs.rabbitmq.exchanges); your messages' routing "
                    + "keys start with your user id, so consumers bind <your user id>.#");
        } else {
            out.put("exchange", exchange.asString());
        }
        JsonNode routingKey = given.path("routingKey");
        if (routingKey.isMissingNode()) {
            out.put("routingKey", "jobs.{jobId}");
        } else if (!routingKey.isString() || routingKey.asString().length() > MAX_ROUTING_KEY
                || !ROUTING_KEY.matcher(routingKey.asString()).matches()) {
            errors.add(field + ".routingKey", "must be up to " + MAX_ROUTING_KEY + " letters, digits and . _ - : # *, with "
                    + "{jobId} and {type} as placeholders");
        } else if (filledLength(routingKey.asString()) > MAX_ROUTING_KEY) {
            errors.add(field + ".routingKey", "must be at most " + MAX_ROUTING_KEY + " characters once {jobId} (36) and "
                    + "{type} (counted as " + LONGEST_TYPE + ") are filled in; Pollster puts your user id and a dot before it");
        } else {
            out.put("routingKey", routingKey.asString());
        }
        JsonNode format = given.path("format");
        if (format.isMissingNode()) {
            out.put("format", "json");
        } else if (!format.isString() || !(format.asString().equals("json") || format.asString().equals("protobuf"))) {
            errors.add(field + ".format", "must be json or protobuf");
        } else {
            out.put("format", format.asString());
        }
        return out;
    }

    private static int filledLength(String template) {
        return template.replace("{jobId}", "j".repeat(36)).replace("{type}", "t".repeat(LONGEST_TYPE)).length();
    }

    /** Why a file output's directory is refused, or null: it must stay inside the owner's folder. */
    static String dirProblem(String dir) {
        if (dir.isEmpty() || dir.length() > 200) {
            return "must be 1 to 200 characters";
        }
        if (!SAFE_DIR.matcher(dir).matches()) {
            return "may hold only letters, digits, '.', '_', '-' and '/' between names, and must be relative";
        }
        for (String part : dir.split("/")) {
            if (part.equals(".") || part.equals("..")) {
                return "must not contain '.' or '..' as a name: it stays inside your outputs folder";
            }
        }
        return null;
    }

    private static JsonNode rate(String field, JsonNode given, JobValidator.Errors errors) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        if (!given.isObject()) {
            errors.add(field, "must be an object: {\"limit\": 2, \"per\": \"2m\"}");
            return out;
        }
        unknownFields(field, given, RATE_FIELDS, errors);
        JsonNode limit = given.path("limit");
        if (!limit.isIntegralNumber() || limit.asLong() < 1 || limit.asLong() > 10_000) {
            errors.add(field + ".limit", "must be a whole number between 1 and 10000");
        } else {
            out.put("limit", limit.asInt());
        }
        Duration per = duration(field + ".per", given.path("per"), errors);
        if (per != null && (per.compareTo(Duration.ofSeconds(1)) < 0 || per.compareTo(Duration.ofDays(1)) > 0)) {
            errors.add(field + ".per", "must be between 1s and 1d");
        } else if (per != null) {
            out.put("per", per.toString());
        }
        return out;
    }

    private static JsonNode retry(String field, JsonNode given, JobValidator.Errors errors) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        if (!given.isObject()) {
            errors.add(field, "must be an object: {\"maxAttempts\": 6, \"backoff\": \"5s\", \"maxBackoff\": \"2h\"}");
            return out;
        }
        unknownFields(field, given, RETRY_FIELDS, errors);
        JsonNode attempts = given.path("maxAttempts");
        int maxAttempts = 6;
        if (!attempts.isMissingNode()) {
            if (!attempts.isIntegralNumber() || attempts.asLong() < 1 || attempts.asLong() > 20) {
                errors.add(field + ".maxAttempts", "must be a whole number between 1 and 20");
            } else {
                maxAttempts = attempts.asInt();
            }
        }
        Duration backoff = given.has("backoff") ? duration(field + ".backoff", given.path("backoff"), errors) : Duration.ofSeconds(5);
        Duration maxBackoff = given.has("maxBackoff") ? duration(field + ".maxBackoff", given.path("maxBackoff"), errors)
                : Duration.ofHours(2);
        if (backoff != null && (backoff.compareTo(Duration.ofMillis(100)) < 0 || backoff.compareTo(Duration.ofHours(1)) > 0)) {
            errors.add(field + ".backoff", "must be between 100ms and 1h");
            backoff = null;
        }
        if (backoff != null && maxBackoff != null && (maxBackoff.compareTo(backoff) < 0 || maxBackoff.compareTo(Duration.ofDays(1)) > 0)) {
            errors.add(field + ".maxBackoff", "must be between backoff and 1d");
        }
        out.put("maxAttempts", maxAttempts);
        if (backoff != null && maxBackoff != null) {
            out.put("backoff", backoff.toString());
            out.put("maxBackoff", maxBackoff.toString());
        }
        return out;
    }

    private static Duration duration(String field, JsonNode given, JobValidator.Errors errors) {
        if (!given.isString()) {
            errors.add(field, "must be a duration such as \"30s\", \"2m\" or \"PT1H\"");
            return null;
        }
        try {
            return Durations.parse(given.asString());
        } catch (IllegalArgumentException e) {
            errors.add(field, e.getMessage());
            return null;
        }
    }

    private static void unknownFields(String field, JsonNode given, Set<String> known, JobValidator.Errors errors) {
        for (String name : given.propertyNames()) {
            if (!known.contains(name)) {
                errors.add(field + "." + name, "unknown field");
            }
        }
    }

    /** Why a given secret is not a Standard Webhooks secret, or null when it is one. */
    static String secretProblem(String secret) {
        if (!secret.startsWith(SECRET_PREFIX)) {
            return "must start with whsec_ followed by base64 (Standard Webhooks); omit it to have one generated";
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return "after whsec_ must come base64";
        }
        return key.length < 24 || key.length > 64 ? "must hold 24 to 64 bytes after whsec_ (base64)" : null;
    }

    private static String generateSecret() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return SECRET_PREFIX + Base64.getEncoder().encodeToString(key);
    }
}
