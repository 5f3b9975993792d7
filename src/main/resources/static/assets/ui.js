// Pollster web UI: small progressive enhancements; every page works as plain HTML forms and links.
(function () {
  "use strict";

  // dates in the browser's locale (the server writes RFC 3339 in UTC)
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) {
        el.textContent = when.toLocaleString();
        el.title = el.getAttribute("datetime");
      }
    });
    root.querySelectorAll("option[data-time]").forEach(function (el) {
      var when = new Date(el.getAttribute("data-time"));
      if (!isNaN(when)) el.textContent = when.toLocaleString();
    });
  }

  // forms that destroy something ask first
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      e.preventDefault();
    }
  });

  // htmx requests carry the session's CSRF token
  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) e.detail.headers["X-CSRF-Token"] = meta.content;
  });
  document.addEventListener("htmx:load", function (e) { localTimes(e.detail.elt); });

  // a job's page refreshes when one of the user's events names this job (the admin has no stream:
  // the page refreshes on its timer)
  function follow(jobId) {
    if (!window.EventSource) return;
    var source = new EventSource("/api/v1/events/stream");
    var types = ["version.created", "item.created", "item.changed", "poll.failed", "poll.recovered", "run.finished", "job.stale"];
    types.forEach(function (type) {
      source.addEventListener(type, function (e) {
        try {
          if (JSON.parse(e.data).jobId === jobId) {
            document.body.dispatchEvent(new CustomEvent("pollster:changed", { bubbles: true }));
          }
        } catch (ignored) { /* not an event of ours */ }
      });
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) source.close();
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    var jobId = document.body.getAttribute("data-job-id");
    if (jobId && document.body.getAttribute("data-admin") !== "true") follow(jobId);
  });
})();
