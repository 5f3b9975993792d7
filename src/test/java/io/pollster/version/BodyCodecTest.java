package io.pollster.version;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BodyCodecTest {

    private static final long NO_LIMIT = Long.MAX_VALUE;

    private static byte[] repetitiveJson(int items) {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < items; i++) {
            json.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"status\":\"active\",\"price\":9.99}");
        }
        return json.append(']').toString().getBytes(UTF_8);
    }

    private static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        new Random(42).nextBytes(bytes);
        return bytes;
    }

    @Test
    void aRepetitiveBodyIsStoredCompressedAndComesBackUnchanged() {
        byte[] raw = repetitiveJson(1_000);

        byte[] stored = BodyCodec.compress(raw);

        assertThat(stored[0]).isEqualTo(BodyCodec.ZLIB);
        assertThat(stored.length).isLessThan(raw.length / 5);
        assertThat(BodyCodec.decompress(stored, NO_LIMIT)).isEqualTo(raw);
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 1_000, 100_000, 1_000_000})
    void incompressibleBytesAreStoredRawWithOneByteOfOverhead(int size) {
        byte[] raw = randomBytes(size);

        byte[] stored = BodyCodec.compress(raw);

        assertThat(stored[0]).isEqualTo(BodyCodec.RAW);
        assertThat(stored).hasSize(size + 1);
        assertThat(BodyCodec.decompress(stored, NO_LIMIT)).isEqualTo(raw);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 63})
    void tinyBodiesAreStoredRaw(int size) {
        byte[] raw = new byte[size];

        byte[] stored = BodyCodec.compress(raw);

        assertThat(stored[0]).isEqualTo(BodyCodec.RAW);
        assertThat(BodyCodec.decompress(stored, size)).isEqualTo(raw);
    }

    @Test
    void theCompressedFormIsNeverLargerThanTheRawFormPlusItsFormatByte() {
        Random random = new Random(7);
        for (int i = 0; i < 200; i++) {
            byte[] raw = new byte[random.nextInt(4_000)];
            // half random, half zeros: near the point where compression stops paying
            byte[] noise = randomBytes(raw.length / 2);
            System.arraycopy(noise, 0, raw, 0, noise.length);

            byte[] stored = BodyCodec.compress(raw);

            assertThat(stored.length).isLessThanOrEqualTo(raw.length + 1);
            assertThat(BodyCodec.decompress(stored, raw.length)).isEqualTo(raw);
        }
    }

    @Test
    void aBodyOfExactlyTheLimitIsReturned() {
        byte[] raw = repetitiveJson(100);

        assertThat(BodyCodec.decompress(BodyCodec.compress(raw), raw.length)).isEqualTo(raw);
    }

    @Test
    void aCompressedBodyAboveTheLimitIsRefused() {
        byte[] raw = repetitiveJson(100);
        byte[] stored = BodyCodec.compress(raw);

        assertThatThrownBy(() -> BodyCodec.decompress(stored, raw.length - 1))
                .isInstanceOf(BodyTooLargeException.class)
                .hasMessageContaining(String.valueOf(raw.length - 1))
                .extracting(e -> ((BodyTooLargeException) e).maxSize()).isEqualTo(raw.length - 1L);
    }

    @Test
    void aRawBodyAboveTheLimitIsRefused() {
        byte[] stored = BodyCodec.compress(randomBytes(1_000));

        assertThatThrownBy(() -> BodyCodec.decompress(stored, 999)).isInstanceOf(BodyTooLargeException.class);
    }

    @Test
    void aCompressionBombIsStoppedAtTheLimitWithoutInflatingItAll() {
        byte[] stored = BodyCodec.compress(new byte[64 * 1024 * 1024]);

        assertThat(stored.length).isLessThan(1024 * 1024);
        assertThatThrownBy(() -> BodyCodec.decompress(stored, 1024 * 1024)).isInstanceOf(BodyTooLargeException.class);
    }

    @Test
    void corruptOrForeignDataIsRefused() {
        byte[] stored = BodyCodec.compress(repetitiveJson(100));
        byte[] truncated = java.util.Arrays.copyOf(stored, stored.length / 2);
        byte[] flipped = stored.clone();
        flipped[stored.length - 2] ^= 0x55;
        byte[] trailing = java.util.Arrays.copyOf(stored, stored.length + 3);

        assertThatThrownBy(() -> BodyCodec.decompress(truncated, NO_LIMIT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BodyCodec.decompress(flipped, NO_LIMIT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BodyCodec.decompress(trailing, NO_LIMIT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BodyCodec.decompress(new byte[] {7, 1, 2}, NO_LIMIT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown format byte 7");
        assertThatThrownBy(() -> BodyCodec.decompress(new byte[0], NO_LIMIT)).isInstanceOf(IllegalArgumentException.class);
    }
}
