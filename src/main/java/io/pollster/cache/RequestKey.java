package io.pollster.cache;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import javax.crypto.Mac;

import io.pollster.fetch.FetchRequest;
import io.pollster.system.secret.SecretBox;
import org.springframework.stereotype.Component;

/**
 * What names a request in the cache: a keyed hash (HMAC-SHA256 under a key derived from
 * {@code POLLSTER_SECRET_KEY}) of its method, URL, every header — secret ones included, by value —
 * and body. Two jobs share answers exactly when they would send the same bytes; the key shows
 * nothing of them, and without the secret key no guess of a secret header can be checked against it.
 * Header names count in any case; the order of headers does not.
 */
@Component
class RequestKey {

    private final SecretBox secrets;

    RequestKey(SecretBox secrets) {
        this.secrets = secrets;
    }

    /** Names the key requests are named under, and shows nothing of it: every node sharing it has the same. */
    byte[] keyId() {
        Mac mac = secrets.fingerprinter();
        field(mac, "pollster cache key check v1".getBytes(StandardCharsets.UTF_8));
        return java.util.Arrays.copyOf(mac.doFinal(), 16);
    }

    byte[] of(FetchRequest request) {
        Mac mac = secrets.fingerprinter();
        field(mac, request.method().getBytes(StandardCharsets.UTF_8));
        field(mac, request.url().toString().getBytes(StandardCharsets.UTF_8));
        // one map, so that a header sent as secret and the same one sent in clear name the same request
        Map<String, String> headers = new TreeMap<>();
        request.headers().forEach((name, value) -> headers.put(name.toLowerCase(Locale.ROOT), value));
        request.secretHeaders().forEach((name, value) -> headers.put(name.toLowerCase(Locale.ROOT), value));
        field(mac, ByteBuffer.allocate(4).putInt(headers.size()).array());
        headers.forEach((name, value) -> {
            field(mac, name.getBytes(StandardCharsets.UTF_8));
            field(mac, value.getBytes(StandardCharsets.UTF_8));
        });
        field(mac, request.body() == null ? null : request.body());
        return mac.doFinal();
    }

    /** Length-prefixed, so that no two different requests feed the same bytes ({@code -1}: none). */
    private static void field(Mac mac, byte[] bytes) {
        mac.update(ByteBuffer.allocate(4).putInt(bytes == null ? -1 : bytes.length).array());
        if (bytes != null) {
            mac.update(bytes);
        }
    }
}
