package io.pollster.system;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RolesTest {

    @Test
    void rolesAreReadCaseInsensitivelyAndListedInOrder() {
        Roles roles = new Roles(List.of(" Poller", "API "));
        assertThat(roles.has(Roles.Role.API)).isTrue();
        assertThat(roles.has(Roles.Role.SCHEDULER)).isFalse();
        assertThat(roles.labels()).isEqualTo("api,poller");
    }

    @Test
    void anUnknownOrEmptyRoleStopsTheStartWithAMessage() {
        assertThatThrownBy(() -> new Roles(List.of("api", "shceduler"))).hasMessageContaining("Unknown role 'shceduler'");
        assertThatThrownBy(() -> new Roles(List.of(" "))).hasMessageContaining("names no role");
    }
}
