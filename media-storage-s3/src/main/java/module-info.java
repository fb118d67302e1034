/** S3 storage for mxmedia: blobs in an S3 bucket (AWS or any S3-compatible store). */
@SuppressWarnings("module") // the package it exports ends in "s3" too
module org.mxmedia.storage.s3 {
  requires transitive org.mxmedia.core;
  requires org.slf4j;
  requires software.amazon.awssdk.services.s3;
  requires software.amazon.awssdk.core;
  requires software.amazon.awssdk.awscore;
  requires software.amazon.awssdk.auth;
  requires software.amazon.awssdk.identity.spi;
  requires software.amazon.awssdk.regions;
  requires software.amazon.awssdk.http;
  requires software.amazon.awssdk.http.apache5;
  requires software.amazon.awssdk.retries.api;
  requires software.amazon.awssdk.retries;
  requires software.amazon.awssdk.utils;
  requires static org.jspecify;

  exports org.mxmedia.storage.s3;
}
