package io.pollster.system;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;

import io.pollster.system.web.ApiException;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The CPU-heavy steps of answering a request — comparing two versions, laying a large body out
 * for a page — on platform threads of their own, never on the request's virtual thread. However
 * large the bodies and however many such requests come, the carriers that every other request
 * (health checks included) runs on stay free. One user's such steps run one at a time; when
 * {@value #MAX_WAITING} more of theirs wait already, the next is answered 429 at once.
 */
@Component
public class ViewWork implements DisposableBean {

    static final int THREADS = 2;
    static final int MAX_WAITING = 4;
    private static final UUID ADMIN = new UUID(0, 0);
    private static final Duration RETRY_AFTER = Duration.ofSeconds(2);

    private final CpuWork cpu = new CpuWork(THREADS, "pollster-view");

    /**
     * The result of {@code work}, computed on one of the threads.
     *
     * @param owner the caller's user id; null for the admin
     * @throws ApiException 429 when the owner has as many such steps waiting as allowed
     */
    public <T> T call(UUID owner, Callable<T> work) {
        try {
            return cpu.call(owner == null ? ADMIN : owner, MAX_WAITING, work);
        } catch (CpuWork.Crowded e) {
            throw ApiException.tooManyRequests("Too many of your comparisons are being prepared at once; try again in a moment",
                    RETRY_AFTER);
        } catch (RuntimeException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a comparison", e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void destroy() {
        cpu.close();
    }
}
