package io.pollster.paging;

import java.net.URI;
import java.util.UUID;

import io.pollster.fetch.Origin;
import io.pollster.user.UserId;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OriginPauseTest {

    private static final UserId BOB = new UserId(UUID.randomUUID());

    @Test
    void aStoreKeyReadsBackAsTheSamePauseForNamesAddressesAndDefaultPorts() {
        for (String url : new String[] {"https://API.example.com/x", "http://127.0.0.1:8081/a?b", "http://[::1]:9000/"}) {
            OriginPause pause = new OriginPause(BOB, Origin.of(URI.create(url)));
            assertThat(OriginPause.parse(pause.storeKey())).as(url).contains(pause);
        }
        assertThat(new OriginPause(BOB, Origin.of(URI.create("https://api.example.com/"))).storeKey())
                .isEqualTo(BOB + " https://api.example.com:443");
    }

    @Test
    void keysItDidNotWriteAreSkipped() {
        assertThat(OriginPause.parse("api.example.com")).isEmpty();
        assertThat(OriginPause.parse("not-a-uuid http://h:80")).isEmpty();
        assertThat(OriginPause.parse(BOB + " http://h:port")).isEmpty();
    }
}
