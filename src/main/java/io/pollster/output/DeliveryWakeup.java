package io.pollster.output;

import org.springframework.stereotype.Component;

/** Tells this process's delivery sender that events were committed, so it need not wait for its next look. */
@Component
class DeliveryWakeup {

    private volatile Runnable listener = () -> { };

    void listen(Runnable wake) {
        this.listener = wake;
    }

    void wake() {
        listener.run();
    }
}
