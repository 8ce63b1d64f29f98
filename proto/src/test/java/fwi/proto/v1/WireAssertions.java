package fwi.proto.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.util.List;

/**
 * Assertions about wire compatibility between an older and a newer version of a message.
 * "Shared" fields are matched by field number, as the wire format matches them.
 */
final class WireAssertions {

  private WireAssertions() {}

  /** Serializes {@code message} and parses the bytes back with the same type. */
  @SuppressWarnings("unchecked")
  static <T extends Message> T roundTrip(T message) throws InvalidProtocolBufferException {
    return (T) message.getParserForType().parseFrom(message.toByteArray());
  }

  /**
   * Asserts that every field of {@code older} exists in {@code newer} with the same number, name,
   * type and cardinality, recursively for message-typed fields, and that every enum value of
   * {@code older} keeps its number and name.
   */
  static void assertWireCompatible(Descriptor older, Descriptor newer) {
    for (FieldDescriptor before : older.getFields()) {
      String where = older.getName() + "." + before.getName() + " (" + before.getNumber() + ")";
      FieldDescriptor after = newer.findFieldByNumber(before.getNumber());
      assertNotNull(after, where + " is missing in " + newer.getFullName());
      assertEquals(before.getName(), after.getName(), where + " was renamed");
      assertEquals(before.getType(), after.getType(), where + " changed type");
      assertEquals(before.isRepeated(), after.isRepeated(), where + " changed cardinality");
      if (before.getType() == FieldDescriptor.Type.MESSAGE) {
        assertWireCompatible(before.getMessageType(), after.getMessageType());
      }
      if (before.getType() == FieldDescriptor.Type.ENUM) {
        for (EnumValueDescriptor value : before.getEnumType().getValues()) {
          EnumValueDescriptor same = after.getEnumType().findValueByNumber(value.getNumber());
          assertNotNull(same, where + ": enum value " + value.getName() + " is missing");
          assertEquals(value.getName(), same.getName(), where + ": enum value renamed");
        }
      }
    }
  }

  /**
   * Asserts that every field {@code older} knows holds the same value in {@code newer}, with the
   * same presence, recursively for message-typed fields.
   */
  static void assertSharedFieldsEqual(Message older, Message newer) {
    for (FieldDescriptor before : older.getDescriptorForType().getFields()) {
      FieldDescriptor after = newer.getDescriptorForType().findFieldByNumber(before.getNumber());
      String where = newer.getDescriptorForType().getName() + "." + after.getName();
      if (before.isRepeated()) {
        List<?> expected = (List<?>) older.getField(before);
        List<?> actual = (List<?>) newer.getField(after);
        assertEquals(expected.size(), actual.size(), where + " element count");
        for (int i = 0; i < expected.size(); i++) {
          assertValueEqual(before, expected.get(i), actual.get(i), where + "[" + i + "]");
        }
      } else {
        assertEquals(older.hasField(before), newer.hasField(after), where + " presence");
        assertValueEqual(before, older.getField(before), newer.getField(after), where);
      }
    }
  }

  private static void assertValueEqual(
      FieldDescriptor field, Object expected, Object actual, String where) {
    switch (field.getJavaType()) {
      case MESSAGE -> assertSharedFieldsEqual((Message) expected, (Message) actual);
      case ENUM -> assertEquals(
          ((EnumValueDescriptor) expected).getNumber(),
          ((EnumValueDescriptor) actual).getNumber(),
          where);
      default -> assertEquals(expected, actual, where);
    }
  }

  /**
   * Asserts that every field of {@code newer} that {@code older} does not know is unset,
   * recursively inside shared message-typed fields: what an older sender cannot have written
   * must read as the default.
   */
  static void assertFieldsUnknownToOlderAreUnset(Descriptor older, Message newer) {
    for (FieldDescriptor after : newer.getDescriptorForType().getFields()) {
      String where = newer.getDescriptorForType().getName() + "." + after.getName();
      FieldDescriptor before = older.findFieldByNumber(after.getNumber());
      if (before == null) {
        if (after.isRepeated()) {
          assertEquals(0, newer.getRepeatedFieldCount(after), where + " element count");
        } else {
          assertFalse(newer.hasField(after), where + " is set");
        }
      } else if (after.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (after.isRepeated()) {
          for (int i = 0; i < newer.getRepeatedFieldCount(after); i++) {
            assertFieldsUnknownToOlderAreUnset(
                before.getMessageType(), (Message) newer.getRepeatedField(after, i));
          }
        } else if (newer.hasField(after)) {
          assertFieldsUnknownToOlderAreUnset(
              before.getMessageType(), (Message) newer.getField(after));
        }
      }
    }
  }
}
