package io.pollster.system;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * What this process does ({@code POLLSTER_ROLES}, default all): {@code api} serves
 * {@code /api/v1}, {@code scheduler} fires due jobs, {@code poller} polls, {@code ingest} writes
 * pushed messages. Every process serves health and metrics whatever its roles.
 */
@Component
public class Roles {

    public enum Role {
        API, SCHEDULER, POLLER, INGEST;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Set<Role> roles;

    public Roles(@Value("${pollster.roles:api,scheduler,poller,ingest}") List<String> names) {
        Set<Role> parsed = EnumSet.noneOf(Role.class);
        for (String name : names) {
            String trimmed = name.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            try {
                parsed.add(Role.valueOf(trimmed.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("Unknown role '" + trimmed + "' in POLLSTER_ROLES; use any of api, scheduler, poller, ingest");
            }
        }
        if (parsed.isEmpty()) {
            throw new IllegalStateException("POLLSTER_ROLES names no role; use any of api, scheduler, poller, ingest");
        }
        this.roles = parsed;
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }

    /** As stored and shown: {@code api,scheduler}. */
    public String labels() {
        return roles.stream().map(Role::label).collect(Collectors.joining(","));
    }
}
