package io.pollster.paging;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import io.pollster.output.EventLog;
import io.pollster.output.EventType;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** The events of runs and items, appended in the transaction of what they report. */
@Component
class RunEvents {

    private static final HexFormat HEX = HexFormat.of();

    private final EventLog events;
    private final JsonMapper json;

    RunEvents(EventLog events, JsonMapper json) {
        this.events = events;
        this.json = json;
    }

    /** @param runId the run that saw them, or null for a poll's items */
    void items(UUID jobId, UUID runId, List<ItemSplitter.Item> created, List<ItemSplitter.Item> changed, Instant at) {
        List<EventLog.NewEvent> batch = new ArrayList<>(created.size() + changed.size());
        created.forEach(item -> batch.add(new EventLog.NewEvent(EventType.ITEM_CREATED, item(runId, item))));
        changed.forEach(item -> batch.add(new EventLog.NewEvent(EventType.ITEM_CHANGED, item(runId, item))));
        events.appendAll(jobId, at, batch);
    }

    private ObjectNode item(UUID runId, ItemSplitter.Item item) {
        ObjectNode data = json.createObjectNode();
        data.put("key", item.key());
        data.put("hash", HEX.formatHex(item.hash()));
        if (runId != null) {
            data.put("runId", runId.toString());
        }
        return data;
    }

    void finished(RunState run, Instant at) {
        ObjectNode data = json.createObjectNode();
        data.put("runId", run.id.toString());
        data.put("status", run.status);
        data.put("pagination", run.pagination);
        ObjectNode pages = data.putObject("pages");
        pages.put("total", run.planned);
        pages.put("done", run.done);
        pages.put("failed", run.failed);
        pages.put("changed", run.changed);
        ObjectNode items = data.putObject("items");
        items.put("created", run.itemsCreated);
        items.put("changed", run.itemsChanged);
        if (run.error != null) {
            data.put("error", run.error);
        }
        events.append(run.jobId, EventType.RUN_FINISHED, at, data);
    }
}
