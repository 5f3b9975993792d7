package io.pollster.user;

import java.time.Instant;

record User(UserId id, String name, Instant createdAt) {
}
