package io.pollster.ui;

import io.pollster.user.BrowserSessions;
import io.pollster.user.Caller;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** The login form (a token in, a session cookie out) and logout. The token is only ever in a POST body. */
@Controller
class LoginController {

    private final BrowserSessions sessions;

    LoginController(BrowserSessions sessions) {
        this.sessions = sessions;
    }

    @GetMapping("/login")
    String form(HttpServletRequest request) {
        return Caller.of(request).isPresent() ? "redirect:/" : "login";
    }

    @PostMapping("/login")
    String login(@RequestParam(required = false) String token, HttpServletRequest request, HttpServletResponse response, Model model) {
        switch (sessions.login(token, request)) {
            case BrowserSessions.Login.Started started -> {
                response.addHeader(HttpHeaders.SET_COOKIE, started.cookie());
                return "redirect:/";
            }
            case BrowserSessions.Login.Refused refused -> {
                response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
                model.addAttribute("error", "That token is not valid. Use the admin token (printed at the first start and kept"
                        + " in the data directory) or a user's token.");
            }
            case BrowserSessions.Login.Throttled throttled -> {
                response.setStatus(429);
                model.addAttribute("error", "Too many invalid tokens from this address; try again in " + throttled.seconds() + " seconds.");
            }
        }
        return "login";
    }

    @PostMapping("/logout")
    String logout(HttpServletRequest request, HttpServletResponse response) {
        response.addHeader(HttpHeaders.SET_COOKIE, sessions.logout(request));
        return "redirect:/login";
    }
}
