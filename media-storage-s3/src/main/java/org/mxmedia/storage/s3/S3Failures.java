package org.mxmedia.storage.s3;

import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Words for what went wrong in a request; the SDK's messages never hold credentials. */
final class S3Failures {
  private S3Failures() {}

  /** The status and error code of a refusal, or the cause of a failure to get an answer. */
  static String describe(SdkException e) {
    if (e instanceof S3Exception s3) {
      AwsErrorDetails details = s3.awsErrorDetails();
      @Nullable String code = details == null ? null : details.errorCode();
      @Nullable String message = details == null ? null : details.errorMessage();
      return "HTTP "
          + s3.statusCode()
          + (code == null ? "" : " " + code)
          + (message == null ? "" : ": " + message);
    }
    if (isTimeout(e)) {
      return "no answer in time: " + e.getMessage();
    }
    return String.valueOf(e.getMessage());
  }

  /** Why the bucket check of {@link S3Storage.Builder#build} failed, in the operator's terms. */
  static String bucketProblem(SdkException e, S3Storage.Builder b) {
    if (e instanceof S3Exception s3) {
      return switch (s3.statusCode()) {
        case 404 -> "it does not exist (HTTP 404)";
        case 403 ->
            "access denied (HTTP 403): the credentials are wrong or may not use this bucket";
        case 301 -> {
          String region =
              s3.awsErrorDetails() == null
                  ? null
                  : s3.awsErrorDetails()
                      .sdkHttpResponse()
                      .firstMatchingHeader("x-amz-bucket-region")
                      .orElse(null);
          yield "it is in another region"
              + (region == null ? "" : " (" + region + ")")
              + " than "
              + b.region()
              + " (HTTP 301)";
        }
        case 400 ->
            "the request was refused (HTTP 400): is the region "
                + b.region()
                + " right? "
                + describe(e);
        default -> describe(e);
      };
    }
    if (isTimeout(e)) {
      return "no answer within the timeouts (connect "
          + b.connectTimeout()
          + ", read "
          + b.readTimeout()
          + ", attempt "
          + b.attemptTimeout()
          + ", call "
          + b.callTimeout()
          + ")";
    }
    String message = String.valueOf(e.getMessage());
    if (message.contains("Unable to load credentials")) {
      return "no credentials: none were given and the AWS SDK's default chain found none ("
          + message
          + ")";
    }
    return "cannot reach it: " + message;
  }

  static boolean isTimeout(SdkException e) {
    return e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException;
  }
}
