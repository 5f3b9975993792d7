package io.pollster.user;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.pollster.support.TestDirs;
import org.junit.jupiter.api.Test;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdminTokenTest {

    private static final byte[] KEY = "a deployment's fingerprint key..".getBytes(UTF_8);

    private final Path dataDir = TestDirs.newDir("admin-token-");

    private static Mac keyed(byte[] key) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac;
    }

    @Test
    void anAdminSessionStoresAKeyedMarkThatNoPlainHashOfTheTokenMatches() throws Exception {
        String token = "configured-token-123456";
        AdminToken admin = AdminToken.resolve(token, dataDir, false, keyed(KEY));

        assertThat(admin.sessionMark()).isNotEqualTo(ApiTokens.hash(token));
        assertThat(admin.marks(admin.sessionMark())).isTrue();
        assertThat(admin.marks(ApiTokens.hash(token))).as("a session stored the old way").isFalse();
        assertThat(AdminToken.resolve(token, dataDir, false, keyed("another deployment's key........".getBytes(UTF_8))).sessionMark())
                .as("the mark depends on the secret key").isNotEqualTo(admin.sessionMark());
        assertThat(AdminToken.resolve(token + "2", dataDir, false, keyed(KEY)).marks(admin.sessionMark()))
                .as("a changed admin token ends the session").isFalse();
    }

    @Test
    void standaloneModeGeneratesATokenFileOnlyItsOwnerCanRead() throws Exception {
        AdminToken admin = AdminToken.resolve(null, dataDir, true, keyed(KEY));

        Path file = dataDir.resolve("admin-token");
        String token = Files.readString(file, UTF_8).strip();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(admin.matches(ApiTokens.hash(token))).isTrue();
        assertThat(admin.matches(ApiTokens.hash(token + "x"))).isFalse();
    }

    @Test
    void theGeneratedTokenIsKeptAcrossRestarts() throws Exception {
        AdminToken.resolve(null, dataDir, true, keyed(KEY));
        String first = Files.readString(dataDir.resolve("admin-token"), UTF_8).strip();

        AdminToken again = AdminToken.resolve(null, dataDir, true, keyed(KEY));

        assertThat(Files.readString(dataDir.resolve("admin-token"), UTF_8).strip()).isEqualTo(first);
        assertThat(again.matches(ApiTokens.hash(first))).isTrue();
    }

    @Test
    void aConfiguredTokenWinsAndNoFileIsWritten() throws Exception {
        AdminToken admin = AdminToken.resolve("configured-token-123456", dataDir, true, keyed(KEY));

        assertThat(admin.matches(ApiTokens.hash("configured-token-123456"))).isTrue();
        assertThat(dataDir.resolve("admin-token")).doesNotExist();
    }

    @Test
    void withAnExternalDatabaseNoTokenIsGeneratedAndNoneMatches() throws Exception {
        AdminToken admin = AdminToken.resolve(null, dataDir, false, keyed(KEY));

        assertThat(dataDir.resolve("admin-token")).doesNotExist();
        assertThat(admin.matches(ApiTokens.hash(""))).isFalse();
    }

    @Test
    void aShortConfiguredTokenIsRefusedAtStart() throws Exception {
        assertThatThrownBy(() -> AdminToken.resolve("short", dataDir, false, keyed(KEY)))
                .hasMessageContaining("POLLSTER_ADMIN_TOKEN must be at least 16");
    }
}
