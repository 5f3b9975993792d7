package io.pollster.paging;

import java.net.URI;

import io.pollster.job.JobSpec;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The pure rules of walking pages: URLs, Link headers, next URLs, totals and what auto detects. */
class PaginatorTest {

    private static final JobSpec.Pagination AUTO = new JobSpec.Pagination("auto", null, null, null, null, null, null, null,
            null, null, null, 100, 8);

    private static PageDocument json(String text) {
        return PageDocument.parse(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void pageParametersReplaceTheUrlsOwnAndDropItsFragment() {
        JobSpec.Pagination page = new JobSpec.Pagination("page", "page", 1, "limit", 50, null, null, null, null, null, null,
                100, 8);
        assertThat(Paginator.pageUrl(page, URI.create("https://h/x?page=1&q=a%20b&limit=10#frag"), 3, null))
                .hasToString("https://h/x?q=a%20b&page=3&limit=50");
        JobSpec.Pagination offset = new JobSpec.Pagination("offset", "offset", null, "limit", 20, null, null, null, null, null,
                null, 100, 8);
        assertThat(Paginator.pageUrl(offset, URI.create("https://h/x"), 4, null)).hasToString("https://h/x?offset=60&limit=20");
        JobSpec.Pagination cursor = new JobSpec.Pagination("cursor", null, null, null, null, null, null, "after", "$.c", null,
                null, 100, 8);
        assertThat(Paginator.pageUrl(cursor, URI.create("https://h/x?f=1"), 2, "a b&c")).hasToString("https://h/x?f=1&after=a%20b%26c");
        assertThat(Paginator.pageUrl(cursor, URI.create("https://h/x?f=1"), 1, null)).hasToString("https://h/x?f=1");
    }

    @Test
    void theNextLinkIsFoundAmongOthersWithQuotedAndListedRelations() {
        assertThat(Paginator.nextLink("<https://h/p?page=1>; rel=\"first\", <https://h/p?page=3>; rel=\"next last\""))
                .isEqualTo("https://h/p?page=3");
        assertThat(Paginator.nextLink("<https://h/a,b>; rel=next")).isEqualTo("https://h/a,b");
        assertThat(Paginator.nextLink("<https://h/p>; rel=\"prev\"")).isNull();
        assertThat(Paginator.nextLink(null)).isNull();
    }

    @Test
    void aNextUrlMustBeHttpWithAHostAndRelativeOnesResolve() {
        JobSpec.Pagination next = new JobSpec.Pagination("cursor", null, null, null, null, null, null, null, null, "$.next",
                null, 100, 8);
        URI at = URI.create("https://h/api/items?page=1");
        assertThat(Paginator.afterPage(next, 1, json("{\"next\":\"?page=2\"}"), null, at, 1, null, 1))
                .isEqualTo(new Paginator.Next("https://h/api/items?page=2"));
        assertThat(Paginator.afterPage(next, 1, json("{\"next\":\"file:///etc/passwd\"}"), null, at, 1, null, 1))
                .isInstanceOf(Paginator.Fail.class);
        assertThat(Paginator.afterPage(next, 1, json("{\"next\":\"http:relative\"}"), null, at, 1, null, 1))
                .isInstanceOf(Paginator.Fail.class);
        assertThat(Paginator.afterPage(next, 1, json("{\"next\":null}"), null, at, 1, null, 1)).isEqualTo(new Paginator.End(null));
        assertThat(Paginator.afterPage(next, 100, json("{\"next\":\"/more\"}"), null, at, 1, null, 100))
                .isInstanceOf(Paginator.End.class);
    }

    @Test
    void aTotalPlansPagesAndIsCappedByMaxPages() {
        JobSpec.Pagination counted = new JobSpec.Pagination("page", "page", 1, "limit", 10, "$.meta.total", "items", null, null,
                null, null, 50, 8);
        assertThat(Paginator.afterPage(counted, 1, json("{\"meta\":{\"total\":95}}"), null, null, 10, 10, 1))
                .isEqualTo(new Paginator.Plan(10, null));
        assertThat(Paginator.afterPage(counted, 1, json("{\"meta\":{\"total\":\"5000\"}}"), null, null, 10, 10, 1))
                .isEqualTo(new Paginator.Plan(50, "the upstream's total says 500 pages; capped at maxPages 50"));
        assertThat(Paginator.afterPage(counted, 1, json("{\"meta\":{}}"), null, null, 10, 10, 1)).isInstanceOf(Paginator.Fail.class);
    }

    @Test
    void autoDetectsLinksNextUrlsAndTotalsAndRefusesWhatIsAmbiguous() {
        assertThat(Paginator.detect(AUTO, json("[]"), "<https://h/x?page=2>; rel=\"next\"", URI.create("https://h/x"), 0)
                .settings().type()).isEqualTo("link");
        assertThat(Paginator.detect(AUTO, json("{\"links\":{\"next\":\"/x?c=2\"}}"), null, URI.create("https://h/x"), 0)
                .settings().nextUrlPath()).isEqualTo("$.links.next");
        Paginator.Detection total = Paginator.detect(AUTO, json("{\"total\":42,\"data\":[1,2]}"), null,
                URI.create("https://h/x?offset=0&limit=2"), 2);
        assertThat(total.settings().type()).isEqualTo("offset");
        assertThat(total.settings().size()).isEqualTo(2);
        assertThat(total.settings().totalPath()).isEqualTo("$.total");
        assertThat(Paginator.detect(AUTO, json("{\"total\":42}"), null, URI.create("https://h/x"), 0).error())
                .contains("names no page or offset parameter").contains("\"type\":\"page\"");
        assertThat(Paginator.detect(AUTO, json("{\"next\":\"/x?p=2\"}"), "<https://h/x?p=3>; rel=next", URI.create("https://h/x"), 0)
                .error()).contains("both");
        Paginator.Detection none = Paginator.detect(AUTO, json("{\"a\":1}"), null, URI.create("https://h/x"), 0);
        assertThat(none.settings()).isNull();
        assertThat(none.error()).isNull();
    }

    @Test
    void followUrlsResolveAgainstTheJobAndMustBeHttp() {
        URI job = URI.create("https://h/api/list");
        assertThat(Paginator.followUrl(job, "/api/items/7")).isEqualTo("https://h/api/items/7");
        assertThat(Paginator.followUrl(job, "items/7")).isEqualTo("https://h/api/items/7");
        assertThat(Paginator.followUrl(job, "ftp://h/x")).isNull();
        assertThat(Paginator.followUrl(job, "https://user:pw@h/x")).isNull();
        assertThat(Paginator.followUrl(job, null)).isNull();
    }
}
