package io.pollster.poll.fetch;

import java.time.Duration;

/** Waits between attempts; tests record the waits instead. */
@FunctionalInterface
interface Sleeper {

    Sleeper SYSTEM = Thread::sleep;

    void sleep(Duration duration) throws InterruptedException;
}
