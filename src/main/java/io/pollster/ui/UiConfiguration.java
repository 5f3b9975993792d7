package io.pollster.ui;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

@Configuration(proxyBeanMethods = false)
class UiConfiguration implements WebMvcConfigurer {

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(new LoginRequired())
                .addPathPatterns("/", "/jobs", "/jobs/**", "/dead-letters", "/dead-letters/**", "/workers", "/cluster",
                        "/users", "/users/**");
    }
}
