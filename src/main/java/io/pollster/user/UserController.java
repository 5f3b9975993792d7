package io.pollster.user;

import java.net.URI;
import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.pollster.system.web.Page;
import io.pollster.system.web.PageQuery;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1")
class UserController {

    private final UserService users;
    private final Quotas quotas;

    UserController(UserService users, Quotas quotas) {
        this.users = users;
        this.quotas = quotas;
    }

    @PostMapping("/users")
    ResponseEntity<NewUserView> create(Caller caller, @Valid @RequestBody CreateUserRequest request) {
        caller.requireAdmin();
        UserService.NewUser created = users.create(request.name());
        User user = created.user();
        return ResponseEntity.created(URI.create("/api/v1/users/" + user.id()))
                .body(new NewUserView(user.id().value(), user.name(), created.token(), user.createdAt()));
    }

    @GetMapping("/users")
    Page<UserView> list(Caller caller, @RequestParam(required = false) Integer limit,
                        @RequestParam(required = false) String cursor) {
        caller.requireAdmin();
        return users.list(PageQuery.of(limit, cursor)).map(this::view);
    }

    @GetMapping("/users/{id}")
    UserView get(Caller caller, @PathVariable UUID id) {
        caller.requireAdmin();
        return view(users.get(new UserId(id)));
    }

    /**
     * The admin sets a user's own quotas: {@code {"quota":{"jobs":5000,"storedBytes":10737418240}}};
     * a null (or absent) value goes back to the default ({@code pollster.quota.*}).
     */
    @PatchMapping(path = "/users/{id}", consumes = {"application/merge-patch+json", "application/json"})
    UserView patch(Caller caller, @PathVariable UUID id, @Valid @RequestBody UserPatch patch) {
        caller.requireAdmin();
        UserId user = new UserId(id);
        users.setQuota(user, patch.quota() == null ? null : patch.quota().jobs(),
                patch.quota() == null ? null : patch.quota().storedBytes());
        return view(users.get(user));
    }

    private UserView view(User user) {
        return new UserView(user.id().value(), user.name(), user.createdAt(), quotas.quotaOf(user.id()),
                quotas.usageOf(user.id()));
    }

    @DeleteMapping("/users/{id}")
    ResponseEntity<Void> delete(Caller caller, @PathVariable UUID id) {
        caller.requireAdmin();
        users.delete(new UserId(id));
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/me")
    MeView me(Caller caller) {
        if (caller.admin()) {
            return new MeView(null, caller.name(), true, null, null, null);
        }
        User user = users.get(caller.userId());
        return new MeView(user.id().value(), user.name(), false, user.createdAt(), quotas.quotaOf(user.id()),
                quotas.usageOf(user.id()));
    }

    record CreateUserRequest(
            @NotNull
            @Size(min = 1, max = 64)
            @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._@-]*",
                    message = "must start with a letter or digit and hold only letters, digits, '.', '_', '@' or '-'")
            String name) {
    }

    record NewUserView(UUID id, String name, String token, Instant createdAt) {
    }

    record UserPatch(@Valid QuotaPatch quota) {
    }

    record QuotaPatch(@Min(0) Integer jobs, @Min(0) Long storedBytes) {
    }

    record UserView(UUID id, String name, Instant createdAt, Quotas.Quota quota, Quotas.Usage usage) {
    }

    /** The caller; a user also sees their quota and what they hold of it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record MeView(UUID id, String name, boolean admin, Instant createdAt, Quotas.Quota quota, Quotas.Usage usage) {
    }
}
