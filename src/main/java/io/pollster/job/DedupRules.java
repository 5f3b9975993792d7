package io.pollster.job;

import java.util.List;

import io.pollster.system.web.InvalidField;

/** Checks a job's dedup settings; the deep checks (JSONPath and regex syntax) come with the normalizer. */
final class DedupRules {

    private DedupRules() {
    }

    static List<InvalidField> validate(JobSpec.Dedup dedup) {
        return List.of();
    }
}
