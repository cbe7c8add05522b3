# Writes a C source embedding files as byte arrays:
#   cmake -DOUT=out.c -DSYMBOL=name -DBASE=dir -DFILES="a;b" -P embed.cmake
# The result defines `const struct embedded_file SYMBOL[]` (terminated by a NULL name),
# with names relative to BASE. Used for SQL migrations and the UI assets. An empty FILES
# list gives a table holding only the terminator.
cmake_policy(SET CMP0007 NEW)
list(REMOVE_ITEM FILES "")
get_filename_component(BASE "${BASE}" ABSOLUTE)
set(body "#include \"core/embedded.h\"\n\nextern const struct embedded_file ${SYMBOL}[];\n\n")
set(table "const struct embedded_file ${SYMBOL}[] = {\n")
set(i 0)
list(SORT FILES)
foreach(f IN LISTS FILES)
    file(READ "${f}" hex HEX)
    string(LENGTH "${hex}" hexlen)
    math(EXPR size "${hexlen} / 2")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    get_filename_component(f "${f}" ABSOLUTE)
    file(RELATIVE_PATH rel "${BASE}" "${f}")
    string(APPEND body "static const unsigned char ${SYMBOL}_${i}[] = {${bytes}0x00};\n")
    string(APPEND table "    {\"${rel}\", ${SYMBOL}_${i}, ${size}},\n")
    math(EXPR i "${i} + 1")
endforeach()
string(APPEND table "    {0, 0, 0},\n};\n")
file(WRITE "${OUT}.tmp" "${body}\n${table}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
