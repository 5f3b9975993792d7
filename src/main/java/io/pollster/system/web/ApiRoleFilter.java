package io.pollster.system.web;

import java.io.IOException;

import io.pollster.system.Roles;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

/** Only a process with the {@code api} role serves {@code /api/v1}; the others answer 404 there. */
@Configuration(proxyBeanMethods = false)
class ApiRoleFilter {

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> apiOnlyWithApiRole(Roles roles) {
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                if (roles.has(Roles.Role.API)) {
                    chain.doFilter(request, response);
                } else {
                    ProblemWriter.write(response, HttpStatus.NOT_FOUND,
                            "This process does not serve the API (POLLSTER_ROLES has no api)");
                }
            }
        });
        registration.addUrlPatterns("/api/*");
        registration.setOrder(-200);
        return registration;
    }
}
