package io.pollster.paging;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.pollster.dedup.DedupSpec;
import io.pollster.dedup.Normalizer;
import io.pollster.job.JobSpec;
import io.pollster.version.BodyCodec;
import org.springframework.stereotype.Component;

/**
 * Splits a page into its items ({@code items.path}), names each ({@code items.key}) and hashes its
 * content as a poll's body is hashed — the job's {@code dedup.ignorePaths} apply with the item as
 * the document. An item without a usable key is skipped and counted.
 */
@Component
class ItemSplitter {

    /** Longer keys are refused: a key names an item in URLs and indexes. */
    static final int MAX_KEY = 512;

    private final Normalizer normalizer;
    private final int maxItems;

    ItemSplitter(Normalizer normalizer, PagingProperties properties) {
        this.normalizer = normalizer;
        this.maxItems = properties.maxItemsPerPage();
    }

    /**
     * @param size   the item's bytes as the page held them: what it counts toward its owner's quota
     * @param follow the item's detail URL as the page gave it ({@code items.follow}), or null
     */
    record Item(String key, byte[] hash, byte[] content, int size, String follow) {
    }

    /**
     * @param withoutKey items skipped because their key was missing, not text or a number, or too long
     * @param beyondCap  items past {@code pollster.pages.max-items-per-page}, not read
     */
    record Split(List<Item> items, int withoutKey, int beyondCap) {

        static final String CAP_NOTE = "pollster.pages.max-items-per-page";

        /** Every entry the page held, read or not: a page's length for "a short page ends the run". */
        int entries() {
            return items.size() + withoutKey + beyondCap;
        }

        /** What the run's note says of a page whose items passed the cap; null when none did. */
        String capNote(int number, int cap) {
            return beyondCap == 0 ? null : "page " + number + " held " + entries() + " items: those beyond "
                    + CAP_NOTE + " (" + cap + ") on it and on any later page were not stored";
        }
    }

    int maxItems() {
        return maxItems;
    }

    Split split(PageDocument page, JobSpec.Items spec, DedupSpec dedup) {
        List<Item> items = new ArrayList<>();
        int withoutKey = 0;
        int beyondCap = 0;
        for (JsonNode node : page.readAll(spec.path())) {
            if (items.size() + withoutKey >= maxItems) {
                beyondCap++; // why: one page's items are one run's share of the database, and of its transaction
                continue;
            }
            PageDocument item = PageDocument.of(node);
            String key = item.text(spec.key());
            if (key == null || key.length() > MAX_KEY) {
                withoutKey++;
                continue;
            }
            byte[] raw;
            try {
                raw = PageDocument.MAPPER.writeValueAsBytes(node);
            } catch (JsonProcessingException e) {
                withoutKey++;
                continue;
            }
            byte[] hash = normalizer.normalize(raw, "application/json", dedupFor(dedup)).hash();
            String follow = spec.follow() == null ? null : item.text(spec.follow());
            items.add(new Item(key, hash, BodyCodec.compress(raw), raw.length, follow));
        }
        return new Split(items, withoutKey, beyondCap);
    }

    /** Items are JSON whatever the job's mode: text patterns apply to bodies, not items. */
    private static DedupSpec dedupFor(DedupSpec dedup) {
        return dedup == null || dedup.ignorePaths().isEmpty() ? DedupSpec.DEFAULT
                : new DedupSpec(io.pollster.dedup.DedupMode.JSON, dedup.ignorePaths(), List.of());
    }
}
