package io.pollster.system.secret;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

import io.pollster.support.LegacySecrets;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecretBoxTest {

    private static final String KEY = "XzqcLnHQS4qm4sP5GA17TipsXZ8D4bekjC9uDZsaPFc=";
    private static final String OTHER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private static final byte[] JOB_A = bytes("jobs.secret_headers/a");
    private static final byte[] JOB_B = bytes("jobs.secret_headers/b");
    private static final byte[] SECRET = bytes("{\"Authorization\":\"Bearer top-secret\"}");

    private final SecretBox box = box(KEY);

    @Test
    void aSealedValueOpensWithTheSameAssociatedData() {
        byte[] sealed = box.seal(SECRET, JOB_A);

        assertThat(sealed[0]).isEqualTo((byte) 2);
        assertThat(SecretBox.isCurrent(sealed)).isTrue();
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("top-secret");
        assertThat(box.open(sealed, JOB_A)).isEqualTo(SECRET);
    }

    @Test
    void aValueSealedForOneRowDoesNotOpenForAnother() {
        byte[] sealed = box.seal(SECRET, JOB_A);

        assertThatThrownBy(() -> box.open(sealed, JOB_B))
                .isInstanceOf(UnreadableSecretException.class)
                .hasMessageContaining("Could not decrypt");
    }

    @Test
    void eachSealHasItsOwnNonce() {
        assertThat(box.seal(SECRET, JOB_A)).isNotEqualTo(box.seal(SECRET, JOB_A));
    }

    @Test
    void anAlteredValueDoesNotOpen() {
        byte[] sealed = box.seal(SECRET, JOB_A);
        sealed[sealed.length - 1] ^= 1;

        assertThatThrownBy(() -> box.open(sealed, JOB_A)).isInstanceOf(UnreadableSecretException.class);
    }

    @Test
    void aValueSealedUnderAnotherKeyDoesNotOpen() {
        byte[] sealed = box(OTHER_KEY).seal(SECRET, JOB_A);

        assertThatThrownBy(() -> box.open(sealed, JOB_A)).isInstanceOf(UnreadableSecretException.class);
    }

    /** The format byte is authenticated: relabelled as format 1, a value is not opened without its binding. */
    @Test
    void aCurrentValueRelabelledAsFormat1DoesNotOpen() {
        byte[] sealed = box.seal(SECRET, JOB_A);
        sealed[0] = 1;

        assertThatThrownBy(() -> box.open(sealed, JOB_A)).isInstanceOf(UnreadableSecretException.class);
    }

    @Test
    void aFormat1ValueOpensWithTheLegacyDerivation() {
        byte[] legacy = LegacySecrets.sealFormat1(KEY, SECRET);

        assertThat(SecretBox.isCurrent(legacy)).isFalse();
        assertThat(box.open(legacy, JOB_A)).isEqualTo(SECRET);
        assertThatThrownBy(() -> box(OTHER_KEY).open(legacy, JOB_A)).isInstanceOf(UnreadableSecretException.class);
    }

    @Test
    void unknownFormatsAndTruncatedValuesDoNotOpen() {
        byte[] sealed = box.seal(SECRET, JOB_A);
        byte[] unknown = sealed.clone();
        unknown[0] = 3;
        byte[] truncated = Arrays.copyOf(sealed, 20);

        assertThatThrownBy(() -> box.open(unknown, JOB_A)).isInstanceOf(UnreadableSecretException.class)
                .hasMessageContaining("known format");
        assertThatThrownBy(() -> box.open(truncated, JOB_A)).isInstanceOf(UnreadableSecretException.class);
        assertThatThrownBy(() -> box.open(new byte[0], JOB_A)).isInstanceOf(UnreadableSecretException.class);
    }

    private static SecretBox box(String key) {
        return new SecretBox(SecretKeys.current(Base64.getDecoder().decode(key)), SecretKeys.legacy(key));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
