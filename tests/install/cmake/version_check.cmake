# cmake -DLUCIDAUTH_DIR=<libdir>/cmake/lucidauth -DWORK_DIR=<empty scratch dir> -P version_check.cmake
# Checks which requested versions the installed lucidauthConfigVersion.cmake accepts, through
# find_package's own version logic (SameMajorVersion: same major, not newer than installed).
# Script mode cannot run the real config file (it makes targets), so find_package looks in
# WORK_DIR at a copy of the version file next to an empty config file.
cmake_minimum_required(VERSION 3.19)
file(MAKE_DIRECTORY "${WORK_DIR}/lucidauth")
file(COPY "${LUCIDAUTH_DIR}/lucidauthConfigVersion.cmake" DESTINATION "${WORK_DIR}/lucidauth")
file(WRITE "${WORK_DIR}/lucidauth/lucidauthConfig.cmake" "")
file(STRINGS "${LUCIDAUTH_DIR}/lucidauthConfigVersion.cmake" _line REGEX "^set\\(PACKAGE_VERSION ")
string(REGEX REPLACE "^set\\(PACKAGE_VERSION \"([0-9]+)\\.([0-9]+)\\.([0-9]+).*" "\\1;\\2;\\3" _v "${_line}")
list(GET _v 0 major)
list(GET _v 1 minor)
list(GET _v 2 patch)
math(EXPR next_major "${major} + 1")
math(EXPR next_minor "${minor} + 1")

function(expect request expected)
  unset(lucidauth_FOUND)
  find_package(lucidauth ${request} CONFIG QUIET PATHS "${WORK_DIR}/lucidauth" NO_DEFAULT_PATH)
  if(lucidauth_FOUND)
    set(found TRUE)
  else()
    set(found FALSE)
  endif()
  if(NOT found STREQUAL expected)
    message(SEND_ERROR "find_package(lucidauth ${request}): found=${found}, expected ${expected}")
  else()
    message(STATUS "find_package(lucidauth ${request}): found=${found}, as expected")
  endif()
endfunction()

expect("${major}.${minor}.${patch}" TRUE)
expect("${major}.${minor}" TRUE)
expect("${major}.${minor}.${patch}...<${next_major}" TRUE)
expect("${major}.${next_minor}" FALSE)
expect("${next_major}" FALSE)
expect("${next_major}.0...${next_major}.5" FALSE)
