# Convenience wrapper around CMake: `make` builds into build/, `make test` runs CTest.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all test asan fuzz clean install
all: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

test: all
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

asan:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DWB_SANITIZE=ON -DCMAKE_C_COMPILER=clang
	cmake --build build-asan -j$(JOBS)
	ctest --test-dir build-asan --output-on-failure -j$(JOBS)

fuzz:
	cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWB_FUZZ=ON -DCMAKE_C_COMPILER=clang
	cmake --build build-fuzz -j$(JOBS)

install: all
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-fuzz
