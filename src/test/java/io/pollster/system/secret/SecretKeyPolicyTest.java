package io.pollster.system.secret;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

import io.pollster.support.LegacySecrets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecretKeyPolicyTest {

    /** 0x00 … 0x1f in each encoding the policy accepts. */
    private static final byte[] MATERIAL = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final String BASE64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private static final byte[] AAD = "jobs.secret_headers/x".getBytes(StandardCharsets.UTF_8);
    private static final byte[] SECRET = "{\"K\":\"v\"}".getBytes(StandardCharsets.UTF_8);
    private static final String WHAT_TO_DO = "POLLSTER_SECRET_KEY must be at least 32 random bytes, base64- or hex-encoded;"
            + " generate one with: openssl rand -base64 32";

    @TempDir
    Path dataDir;

    @ParameterizedTest
    @ValueSource(strings = {
            BASE64,
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
            "  AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"})
    void base64WithOrWithoutPaddingAndHexAreAccepted(String key) {
        assertThat(SecretKeys.decode("POLLSTER_SECRET_KEY", key)).isEqualTo(MATERIAL);
    }

    @Test
    void base64urlIsAccepted() {
        byte[] material = new byte[32];
        Arrays.fill(material, (byte) 0xfb); // encodes to '-' and '_', never in plain base64
        String url = Base64.getUrlEncoder().withoutPadding().encodeToString(material);
        assertThat(url).contains("-").contains("_");

        assertThat(SecretKeys.decode("POLLSTER_SECRET_KEY", url)).isEqualTo(material);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "crash-test-secret",
            "correct horse battery staple and then some more words",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=x",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd=Hh8"})
    void undecodableKeysAreRefusedSayingWhatToDo(String key) {
        assertThatThrownBy(() -> SecretKeyConfiguration.create(dataDir, key, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("POLLSTER_SECRET_KEY is not hex, base64 or base64url")
                .hasMessageContaining(WHAT_TO_DO)
                .hasMessageContaining("POLLSTER_LEGACY_SECRET_KEY")
                .hasMessageNotContaining(key.strip());
    }

    @ParameterizedTest
    @ValueSource(strings = {"AAECAwQFBgcICQoLDA0ODw==", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
            "c2hvcnQ"})
    void keysOfFewerThan32BytesAreRefusedSayingWhatToDo(String key) {
        assertThatThrownBy(() -> SecretKeyConfiguration.create(dataDir, key, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageMatching("POLLSTER_SECRET_KEY decodes to only \\d+ bytes: .*")
                .hasMessageContaining(WHAT_TO_DO);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   "})
    void anEmptyKeyIsRefusedRatherThanReplacedByAGeneratedOne(String key) {
        assertThatThrownBy(() -> SecretKeyConfiguration.create(dataDir, key, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("POLLSTER_SECRET_KEY is set but empty")
                .hasMessageContaining("openssl rand -base64 32");
        assertThat(dataDir.resolve("secret-key")).doesNotExist();
    }

    /** Pinned: a change in the derivation would make every stored secret unreadable. */
    @Test
    void theKeyIsHkdfSha256OfTheDecodedBytesWithAFixedInfo() {
        assertThat(HexFormat.of().formatHex(SecretKeys.current(MATERIAL).getEncoded()))
                .isEqualTo("0f1fe350fc984ffb2972178968cb6dc9f97a6c6421c0d1035b6d659400acb600");
    }

    @Test
    void hexAndBase64OfTheSameBytesAreTheSameKey() throws IOException {
        byte[] sealed = SecretKeyConfiguration.create(dataDir, BASE64, null).seal(SECRET, AAD);

        SecretBox hex = SecretKeyConfiguration.create(dataDir, HexFormat.of().formatHex(MATERIAL), null);

        assertThat(hex.open(sealed, AAD)).isEqualTo(SECRET);
    }

    @Test
    void aGeneratedKeyFileIsPrivateAndKeepsWorkingAcrossStarts() throws IOException {
        SecretBox first = SecretKeyConfiguration.create(dataDir, null, null);
        byte[] sealed = first.seal(SECRET, AAD);
        Path file = dataDir.resolve("secret-key");
        String content = Files.readString(file).strip();

        SecretBox second = SecretKeyConfiguration.create(dataDir, null, null);

        assertThat(Base64.getDecoder().decode(content)).hasSize(32);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(second.open(sealed, AAD)).isEqualTo(SECRET);
        // what format 1 sealed under the same file still opens
        assertThat(second.open(LegacySecrets.sealFormat1(content, SECRET), AAD)).isEqualTo(SECRET);
    }

    @Test
    void aKeyFileThatFailsThePolicyIsRefusedByName() throws IOException {
        Files.writeString(dataDir.resolve("secret-key"), "too-short\n");

        assertThatThrownBy(() -> SecretKeyConfiguration.create(dataDir, null, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("The key in " + dataDir.resolve("secret-key"))
                .hasMessageContaining(WHAT_TO_DO);
    }

    /** The way out for a deployment whose old key string fails the policy: a new key, the old one beside it. */
    @Test
    void format1ValuesSealedUnderAnOldWeakKeyOpenWithTheLegacyKeySet() throws IOException {
        byte[] old = LegacySecrets.sealFormat1("crash-test-secret", SECRET);

        SecretBox withLegacy = SecretKeyConfiguration.create(dataDir, BASE64, "crash-test-secret");
        SecretBox without = SecretKeyConfiguration.create(dataDir, BASE64, null);

        assertThat(withLegacy.open(old, AAD)).isEqualTo(SECRET);
        assertThatThrownBy(() -> without.open(old, AAD)).isInstanceOf(UnreadableSecretException.class);
        assertThat(without.open(withLegacy.seal(SECRET, AAD), AAD)).isEqualTo(SECRET);
    }
}
