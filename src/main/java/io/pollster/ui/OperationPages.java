package io.pollster.ui;

import java.util.UUID;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.util.UriComponentsBuilder;
import tools.jackson.databind.node.JsonNodeFactory;

/** Dead letters (replay, delete), the ingest workers, the cluster and the users (the last two for the admin). */
@Controller
class OperationPages {

    private final InProcessApi api;

    OperationPages(InProcessApi api) {
        this.api = api;
    }

    @GetMapping("/dead-letters")
    String deadLetters(@RequestParam(required = false) String type, @RequestParam(required = false) String cursor,
                       HttpServletRequest request, Model model) {
        String path = UriComponentsBuilder.fromPath("/api/v1/dead-letters").queryParam("limit", 50)
                .queryParamIfPresent("type", InProcessApi.param(type))
                .queryParamIfPresent("cursor", InProcessApi.param(cursor))
                .encode().build().toUriString();
        model.addAttribute("page", read(request, path));
        model.addAttribute("type", type == null ? "" : type);
        return "dead-letters";
    }

    @PostMapping("/dead-letters/{id}/replay")
    String replay(@PathVariable UUID id, HttpServletRequest request) {
        send(request, "POST", "/api/v1/dead-letters/" + id + "/replay");
        return "redirect:/dead-letters?done=replayed";
    }

    @PostMapping("/dead-letters/{id}/delete")
    String deleteDeadLetter(@PathVariable UUID id, HttpServletRequest request) {
        send(request, "DELETE", "/api/v1/dead-letters/" + id);
        return "redirect:/dead-letters?done=deleted";
    }

    @GetMapping("/workers")
    String workers(HttpServletRequest request, Model model) {
        model.addAttribute("workers", read(request, "/api/v1/workers"));
        return "workers";
    }

    @GetMapping("/cluster")
    String cluster(HttpServletRequest request, Model model) {
        model.addAttribute("cluster", read(request, "/api/v1/cluster"));
        return "cluster";
    }

    @GetMapping("/users")
    String users(@RequestParam(required = false) String cursor, HttpServletRequest request, Model model) {
        String path = UriComponentsBuilder.fromPath("/api/v1/users").queryParam("limit", 100)
                .queryParamIfPresent("cursor", InProcessApi.param(cursor))
                .encode().build().toUriString();
        model.addAttribute("page", read(request, path));
        return "users";
    }

    @PostMapping("/users")
    String createUser(@RequestParam(required = false) String name, HttpServletRequest request, HttpServletResponse response,
                      Model model) {
        InProcessApi.Answer created = api.send(request, "POST", "/api/v1/users",
                JsonNodeFactory.instance.objectNode().put("name", name == null ? "" : name.strip()));
        if (created.ok()) {
            // the token is shown once, on this page (never in a URL): only its hash is kept
            model.addAttribute("created", created.value());
        } else {
            response.setStatus(created.status());
            model.addAttribute("message", created.problem());
            model.addAttribute("errors", created.fieldErrors());
            model.addAttribute("name", name);
        }
        model.addAttribute("page", read(request, "/api/v1/users?limit=100"));
        return "users";
    }

    @PostMapping("/users/{id}/delete")
    String deleteUser(@PathVariable UUID id, HttpServletRequest request) {
        send(request, "DELETE", "/api/v1/users/" + id);
        return "redirect:/users?done=deleted";
    }

    private Object read(HttpServletRequest request, String path) {
        return api.get(request, path).orFail().value();
    }

    private void send(HttpServletRequest request, String method, String path) {
        api.send(request, method, path, null).orFail();
    }
}
