package fwi.cloud.data;

import java.io.IOException;

/** A dataset folder is incomplete or holds files of the wrong shape; the message names the file. */
public final class DatasetException extends IOException {
  public DatasetException(String message) {
    super(message);
  }
}
