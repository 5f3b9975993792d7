package io.pollster.ui;

import java.io.IOException;

import io.pollster.system.Roles;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

@Configuration(proxyBeanMethods = false)
class UiConfiguration implements WebMvcConfigurer {

    private final Roles roles;

    UiConfiguration(Roles roles) {
        this.roles = roles;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        // the UI is the API's face: a process without the api role serves neither
        registry.addInterceptor(new HandlerInterceptor() {
            @Override
            public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) throws IOException {
                if (roles.has(Roles.Role.API)) {
                    return true;
                }
                response.sendError(HttpServletResponse.SC_NOT_FOUND, "This process does not serve the web UI (POLLSTER_ROLES has no api)");
                return false;
            }
        }).addPathPatterns("/", "/login", "/logout", "/jobs", "/jobs/**", "/dead-letters", "/dead-letters/**", "/workers",
                "/cluster", "/users", "/users/**");
        registry.addInterceptor(new LoginRequired())
                .addPathPatterns("/", "/jobs", "/jobs/**", "/dead-letters", "/dead-letters/**", "/workers", "/cluster",
                        "/users", "/users/**");
    }
}
