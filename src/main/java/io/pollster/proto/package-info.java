/**
 * The wire formats, generated from {@code src/main/proto}: an open module, used by whoever reads
 * or writes them, using nothing of Pollster.
 */
@ApplicationModule(type = ApplicationModule.Type.OPEN)
package io.pollster.proto;

import org.springframework.modulith.ApplicationModule;
