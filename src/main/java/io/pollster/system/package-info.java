/**
 * What every capability shares: settings, the web layer's errors and paging, the budget of bytes
 * in flight, secret sealing, background loops, the embedded database. An open module: its
 * sub-packages are there to be used by all the others, and it uses none of them.
 */
@ApplicationModule(type = ApplicationModule.Type.OPEN)
package io.pollster.system;

import org.springframework.modulith.ApplicationModule;
