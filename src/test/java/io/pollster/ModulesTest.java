package io.pollster;

import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModules;

/**
 * The packages under {@code io.pollster} are modules: none depends on another in a cycle, and
 * none reaches into another's internals (its sub-packages, unless they are a named interface).
 */
class ModulesTest {

    @Test
    void theModulesHaveNoCyclesAndUseOnlyEachOthersPublicTypes() {
        ApplicationModules.of(PollsterApplication.class).verify();
    }
}
