package dev.dsync.scim.directories;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.OffsetDateTime;
import java.util.UUID;

/** Request and response bodies of the SCIM directory admin API. */
public final class DirectoryViews {

  private DirectoryViews() {}

  /** Body of POST /api/v1/scim-directories. */
  public record NewDirectory(@NotBlank @Size(max = 200) String name) {}

  /** Body of PATCH /api/v1/scim-directories/{id}: rename and/or (de)activate. */
  public record DirectoryChange(
      @Size(min = 1, max = 200) String name, @Pattern(regexp = "ACTIVE|INACTIVE", message = "must be ACTIVE or INACTIVE") String state) {}

  /** Body of POST .../tokens: optional lifetime. */
  public record NewToken(@Min(1) @Max(3650) Integer expiresInDays) {}

  /** A directory as the admin API shows it. */
  public record DirectoryView(
      UUID id, String name, String state, String scimBaseUrl, OffsetDateTime createdAt, OffsetDateTime updatedAt) {}

  /** A token as listed: never its value. */
  public record TokenView(
      UUID id, String hint, OffsetDateTime createdAt, OffsetDateTime expiresAt, OffsetDateTime lastUsedAt) {}

  /** A token just created: the only time its value is shown. */
  public record CreatedToken(UUID id, String token, String hint, OffsetDateTime createdAt, OffsetDateTime expiresAt) {}

  /** Answer to creating a directory: the directory, its SCIM base URL and its first token. */
  public record CreatedDirectory(DirectoryView directory, CreatedToken token) {}
}
