package org.mxmedia.storage.s3;

import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * The blob store behind s3proxy, recording what it is asked (but for s3proxy's own bookkeeping
 * objects) and failing part uploads on demand.
 */
final class RecordingBlobStore extends ForwardingBlobStore {
  final List<String> puts = new CopyOnWriteArrayList<>();
  final List<String> storageClasses = new CopyOnWriteArrayList<>();
  final List<GetObjectRequest> gets = new CopyOnWriteArrayList<>();
  final List<String> multipartStarts = new CopyOnWriteArrayList<>();
  final List<Integer> parts = new CopyOnWriteArrayList<>();
  final AtomicInteger completes = new AtomicInteger();
  final AtomicInteger aborts = new AtomicInteger();

  /** A part number whose uploads fail with a server error; 0 for none. */
  volatile int failingPart;

  /** A part number whose next upload first waits this long before reading its body. */
  volatile int slowPart;

  volatile long slowMillis;

  RecordingBlobStore(BlobStore delegate) {
    super(delegate);
  }

  void reset() {
    puts.clear();
    storageClasses.clear();
    gets.clear();
    multipartStarts.clear();
    parts.clear();
    completes.set(0);
    aborts.set(0);
    failingPart = 0;
    slowPart = 0;
  }

  @Override
  public PutObjectResponse putBlob(PutObjectRequest request, InputStream input) {
    if (!request.key().startsWith(".s3proxy")) {
      puts.add(request.key());
      storageClasses.add(String.valueOf(request.storageClassAsString()));
    }
    return super.putBlob(request, input);
  }

  @Override
  public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
    gets.add(request);
    return super.getBlob(request);
  }

  @Override
  public MultipartUpload initiateMultipartUpload(CreateMultipartUploadRequest request) {
    multipartStarts.add(request.key());
    storageClasses.add(String.valueOf(request.storageClassAsString()));
    return super.initiateMultipartUpload(request);
  }

  @Override
  public UploadPartResponse uploadMultipartPart(
      MultipartUpload mpu, UploadPartRequest request, InputStream input) {
    parts.add(request.partNumber());
    if (request.partNumber() == slowPart) {
      slowPart = 0;
      try {
        Thread.sleep(slowMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (request.partNumber() == failingPart) {
      throw new IllegalStateException("injected failure of part " + failingPart);
    }
    return super.uploadMultipartPart(mpu, request, input);
  }

  @Override
  public CompleteMultipartUploadResponse completeMultipartUpload(
      MultipartUpload mpu, CompleteMultipartUploadRequest request) {
    completes.incrementAndGet();
    return super.completeMultipartUpload(mpu, request);
  }

  @Override
  public void abortMultipartUpload(MultipartUpload mpu) {
    aborts.incrementAndGet();
    super.abortMultipartUpload(mpu);
  }
}
