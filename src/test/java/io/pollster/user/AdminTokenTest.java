package io.pollster.user;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import io.pollster.support.TestDirs;
import org.junit.jupiter.api.Test;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdminTokenTest {

    private final Path dataDir = TestDirs.newDir("admin-token-");

    @Test
    void standaloneModeGeneratesATokenFileOnlyItsOwnerCanRead() throws Exception {
        AdminToken admin = AdminToken.resolve(null, dataDir, true);

        Path file = dataDir.resolve("admin-token");
        String token = Files.readString(file, UTF_8).strip();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(admin.matches(ApiTokens.hash(token))).isTrue();
        assertThat(admin.matches(ApiTokens.hash(token + "x"))).isFalse();
    }

    @Test
    void theGeneratedTokenIsKeptAcrossRestarts() throws Exception {
        AdminToken.resolve(null, dataDir, true);
        String first = Files.readString(dataDir.resolve("admin-token"), UTF_8).strip();

        AdminToken again = AdminToken.resolve(null, dataDir, true);

        assertThat(Files.readString(dataDir.resolve("admin-token"), UTF_8).strip()).isEqualTo(first);
        assertThat(again.matches(ApiTokens.hash(first))).isTrue();
    }

    @Test
    void aConfiguredTokenWinsAndNoFileIsWritten() throws Exception {
        AdminToken admin = AdminToken.resolve("configured-token-123456", dataDir, true);

        assertThat(admin.matches(ApiTokens.hash("configured-token-123456"))).isTrue();
        assertThat(dataDir.resolve("admin-token")).doesNotExist();
    }

    @Test
    void withAnExternalDatabaseNoTokenIsGeneratedAndNoneMatches() throws Exception {
        AdminToken admin = AdminToken.resolve(null, dataDir, false);

        assertThat(dataDir.resolve("admin-token")).doesNotExist();
        assertThat(admin.matches(ApiTokens.hash(""))).isFalse();
    }

    @Test
    void aShortConfiguredTokenIsRefusedAtStart() {
        assertThatThrownBy(() -> AdminToken.resolve("short", dataDir, false))
                .hasMessageContaining("POLLSTER_ADMIN_TOKEN must be at least 16");
    }
}
