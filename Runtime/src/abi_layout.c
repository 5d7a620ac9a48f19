/* abi_layout.c: the runtime function table handed to every loaded module, wasmc_abi_layout()
 * for the compiler's layout test, and compile-time checks of the offsets wasmc_abi.h documents. */
#include "internal.h"

#include <stddef.h>
#include <string.h>

#define FIELD_AT(type, field, offset) _Static_assert(offsetof(type, field) == (offset), #type "." #field)
FIELD_AT(wasmc_funcref, code, 0);
FIELD_AT(wasmc_funcref, ctx, 8);
FIELD_AT(wasmc_funcref, trampoline, 16);
FIELD_AT(wasmc_funcref, type_id, 24);
FIELD_AT(wasmc_memory, base, 0);
FIELD_AT(wasmc_memory, size, 8);
FIELD_AT(wasmc_memory, registry_slot, 44);
FIELD_AT(wasmc_table, elements, 0);
FIELD_AT(wasmc_table, size, 8);
FIELD_AT(wasmc_table, refcount, 24);
FIELD_AT(wasmc_store, stack_limit, 0);
FIELD_AT(wasmc_store, depth, 8);
FIELD_AT(wasmc_vmctx_header, memory0_base, 0);
FIELD_AT(wasmc_vmctx_header, memory0, 8);
FIELD_AT(wasmc_vmctx_header, store, 16);
FIELD_AT(wasmc_vmctx_header, instance, 24);
_Static_assert(sizeof(wasmc_value) == 16 && sizeof(wasmc_funcref) == 32, "value sizes");
_Static_assert(sizeof(wasmc_vmctx_header) == 32, "header size");
_Static_assert(offsetof(rt_store, pub) == 0, "a store starts with its ABI part");

const wasmc_runtime_functions rt_functions = {
    .trap = rt_trap,
    .memory_grow = rt_memory_grow,
    .memory_fill = rt_memory_fill,
    .memory_copy = rt_memory_copy,
    .memory_init = rt_memory_init,
    .data_drop = rt_data_drop,
    .table_grow = rt_table_grow,
    .table_fill = rt_table_fill,
    .table_copy = rt_table_copy,
    .table_init = rt_table_init,
    .elem_drop = rt_elem_drop,
    .elem_segment_alloc = rt_elem_segment_alloc,
    .call_host = rt_call_host,
    .throw_ = rt_throw,
    .throw_ref = rt_throw_ref,
    .exception_drop = rt_exception_drop,
    .personality = rt_personality,
    .exception_new = rt_exception_new,
};

wasmc_abi_layout_info wasmc_abi_layout(void) {
    return (wasmc_abi_layout_info){
        .value_size = sizeof(wasmc_value),
        .funcref_size = sizeof(wasmc_funcref),
        .funcref_code = offsetof(wasmc_funcref, code),
        .funcref_ctx = offsetof(wasmc_funcref, ctx),
        .funcref_trampoline = offsetof(wasmc_funcref, trampoline),
        .funcref_type_id = offsetof(wasmc_funcref, type_id),
        .memory_base = offsetof(wasmc_memory, base),
        .memory_size = offsetof(wasmc_memory, size),
        .table_elements = offsetof(wasmc_table, elements),
        .table_size = offsetof(wasmc_table, size),
        .store_stack_limit = offsetof(wasmc_store, stack_limit),
        .header_size = sizeof(wasmc_vmctx_header),
        .header_memory0_base = offsetof(wasmc_vmctx_header, memory0_base),
        .header_memory0 = offsetof(wasmc_vmctx_header, memory0),
        .header_store = offsetof(wasmc_vmctx_header, store),
        .header_instance = offsetof(wasmc_vmctx_header, instance),
        .runtime_functions_count = sizeof(wasmc_runtime_functions) / sizeof(void (*)(void)),
        .descriptor_size = sizeof(wasmc_module_descriptor),
        .exception_tag = offsetof(wasmc_exception, tag),
        .exception_exposed = offsetof(wasmc_exception, exposed),
        .exception_values = offsetof(wasmc_exception, values),
        .data_header_size = sizeof(wasmc_data_header),
        .data_entry_size = sizeof(wasmc_data_entry),
    };
}

/* The constants wasmc_abi_constant names, each written once: the headers' own identifiers. */
#define CONSTANT(name) {#name, (int64_t)(name)}
static const struct {
    const char *name;
    int64_t value;
} constants[] = {
    CONSTANT(WASMC_ABI_VERSION),
    CONSTANT(WASMC_I32), CONSTANT(WASMC_I64), CONSTANT(WASMC_F32), CONSTANT(WASMC_F64),
    CONSTANT(WASMC_V128), CONSTANT(WASMC_FUNCREF), CONSTANT(WASMC_EXTERNREF), CONSTANT(WASMC_EXNREF),
    CONSTANT(WASMC_EXTERN_FUNC), CONSTANT(WASMC_EXTERN_TABLE), CONSTANT(WASMC_EXTERN_MEMORY),
    CONSTANT(WASMC_EXTERN_GLOBAL), CONSTANT(WASMC_EXTERN_TAG),
    CONSTANT(WASMC_TRAP_NONE), CONSTANT(WASMC_TRAP_UNREACHABLE), CONSTANT(WASMC_TRAP_MEMORY_OUT_OF_BOUNDS),
    CONSTANT(WASMC_TRAP_TABLE_OUT_OF_BOUNDS), CONSTANT(WASMC_TRAP_UNDEFINED_ELEMENT),
    CONSTANT(WASMC_TRAP_UNINITIALIZED_ELEMENT), CONSTANT(WASMC_TRAP_INDIRECT_CALL_TYPE_MISMATCH),
    CONSTANT(WASMC_TRAP_INTEGER_DIVIDE_BY_ZERO), CONSTANT(WASMC_TRAP_INTEGER_OVERFLOW),
    CONSTANT(WASMC_TRAP_INVALID_CONVERSION), CONSTANT(WASMC_TRAP_CALL_STACK_EXHAUSTED),
    CONSTANT(WASMC_TRAP_HOST), CONSTANT(WASMC_TRAP_NULL_REFERENCE), CONSTANT(WASMC_TRAP_NULL_FUNCTION_REFERENCE),
    CONSTANT(WASMC_TRAP_NULL_EXCEPTION_REFERENCE), CONSTANT(WASMC_TRAP_COUNT), CONSTANT(WASMC_EXCEPTION),
    CONSTANT(WASMC_OK), CONSTANT(WASMC_ERROR_LOAD), CONSTANT(WASMC_ERROR_LINK), CONSTANT(WASMC_ERROR_TRAP),
    CONSTANT(WASMC_ERROR_RESOURCE), CONSTANT(WASMC_ERROR_EXCEPTION),
    CONSTANT(WASMC_BOUNDS_GUARD), CONSTANT(WASMC_BOUNDS_EXPLICIT),
};

int wasmc_abi_constant(const char *name, int64_t *value) {
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++)
        if (strcmp(constants[i].name, name) == 0) {
            *value = constants[i].value;
            return 1;
        }
    return 0;
}
