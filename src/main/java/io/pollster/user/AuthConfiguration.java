package io.pollster.user;

import java.io.IOException;
import java.time.Clock;
import java.util.List;

import io.pollster.system.PollsterProperties;
import io.pollster.system.embedded.EmbeddedPostgres;
import io.pollster.system.secret.SecretBox;
import org.springframework.beans.factory.ObjectProvider;

import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.MethodParameter;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

@Configuration(proxyBeanMethods = false)
class AuthConfiguration implements WebMvcConfigurer {

    static {
        // the caller comes from the token, not from the request: keep it out of the OpenAPI document
        SpringDocUtils.getConfig().addRequestWrapperToIgnore(Caller.class);
    }

    @Bean
    AdminToken adminToken(PollsterProperties properties, ObjectProvider<EmbeddedPostgres> embedded, SecretBox secrets) throws IOException {
        return AdminToken.resolve(properties.adminToken(), properties.dataDir(), embedded.getIfAvailable() != null,
                secrets.fingerprinter());
    }

    @Bean
    TokenCheck tokenCheck(AdminToken adminToken, UserService users, AuthProperties properties, Clock clock) {
        return new TokenCheck(adminToken, users, new FailedTokenThrottle(properties, clock));
    }

    @Bean
    FilterRegistrationBean<BearerTokenFilter> bearerTokenFilter(TokenCheck tokens) {
        FilterRegistrationBean<BearerTokenFilter> registration = new FilterRegistrationBean<>(new BearerTokenFilter(tokens));
        registration.setUrlPatterns(List.of("/api/v1/*"));
        return registration;
    }

    /** Before the bearer token filter: a session may read the API with its cookie. */
    @Bean
    FilterRegistrationBean<BrowserSessionFilter> browserSessionFilter(BrowserSessions sessions) {
        FilterRegistrationBean<BrowserSessionFilter> registration = new FilterRegistrationBean<>(new BrowserSessionFilter(sessions));
        registration.setUrlPatterns(List.of("/*"));
        registration.setOrder(-50);
        return registration;
    }

    @Override
    public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
        resolvers.add(new CallerResolver());
    }

    /** Hands the authenticated {@link Caller} to controller methods that declare it. */
    private static final class CallerResolver implements HandlerMethodArgumentResolver {
        @Override
        public boolean supportsParameter(MethodParameter parameter) {
            return parameter.getParameterType() == Caller.class;
        }

        @Override
        public Object resolveArgument(MethodParameter parameter, ModelAndViewContainer mavContainer,
                                      NativeWebRequest request, WebDataBinderFactory binderFactory) {
            Object caller = request.getAttribute(Caller.ATTRIBUTE, RequestAttributes.SCOPE_REQUEST);
            if (caller == null) {
                throw new IllegalStateException("No caller: " + parameter.getMethod() + " is outside /api/v1");
            }
            return caller;
        }
    }
}
