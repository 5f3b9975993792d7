package io.pollster.output;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * How much file outputs keep ({@code pollster.outputs.files.*}): a user's files are their own
 * bound, beside the storage quota (which counts what the database keeps).
 *
 * @param maxBytesPerUser a user's output files together, every job and {@code dir}; past it the
 *                        oldest files are deleted, never the one just written (1GB)
 * @param maxAge          output files older than this are deleted (30d)
 * @param pruneEvery      how often one node looks through a user's folder, at most (1m): a write
 *                        in between prunes nothing, so a folder may pass the bound by what is
 *                        written in that time
 */
@ConfigurationProperties("pollster.outputs.files")
public record OutputFileProperties(
        @DefaultValue("1GB") DataSize maxBytesPerUser,
        @DefaultValue("30d") Duration maxAge,
        @DefaultValue("1m") Duration pruneEvery) {

    public OutputFileProperties {
        if (maxBytesPerUser.toBytes() < 1 || maxAge.isNegative() || maxAge.isZero() || pruneEvery.isNegative()) {
            throw new IllegalArgumentException("pollster.outputs.files needs max-bytes-per-user and max-age above 0");
        }
    }
}
