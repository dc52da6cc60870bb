/* verilator lint_off DECLFILENAME */
// Multiplier-adder tree (dot-product engine), K lanes x N columns, one A row per cycle.
// Golden model: sim/models/tpe/arith.py (mac_gemm, same_bit_weight_gemm, ent_encode).
// B[k][n] (stationary) sits at w[(n*K+k)*8 +: 8]; A[k] at a_row[k*8 +: 8]; dot[n] at
// dot[n*DW +: DW].

// EN-T encoder of one INT8 value: per digit a 2-bit PP select code and a non-zero flag.
module tpe_ent_enc (
    input  logic [7:0] a,
    output logic [7:0] sel,   // digit j at [2j +: 2]: 00 -2B, 01 +B, 10 +2B, 11 -B
    output logic [3:0] nz
);
    logic s;
    logic [7:0] m;
    logic [2:0] v [4];
    logic [1:0] code [4];
    logic c [5];
    assign s = a[7];
    assign m = s ? (~a + 8'd1) : a;   // |a|; -128 -> 8'h80 = 128
    assign c[0] = 1'b0;
    for (genvar i = 0; i < 4; i++) begin : g_dig
        assign v[i] = {1'b0, m[2*i+1 -: 2]} + {2'b0, c[i]};
        assign code[i] = v[i][1:0];
        assign c[i+1] = (v[i] >= 3'd3);
        assign sel[2*i +: 2] = {code[i][1] ^ s, code[i][0]};
        assign nz[i] = (code[i] != 2'b00);
    end
endmodule

// PP selector: {-2B, +B, +2B, -B}[sel] if nz else 0, as 10-bit two's complement.
module tpe_pp_sel (
    input  logic [1:0] sel,
    input  logic       nz,
    input  logic [7:0] b,
    output logic [9:0] pp
);
    logic signed [9:0] bx;
    assign bx = {{2{b[7]}}, b};
    always_comb begin
        if (!nz) pp = '0;
        else case (sel)
            2'b00: pp = -(bx <<< 1);
            2'b01: pp = bx;
            2'b10: pp = bx <<< 1;
            default: pp = -bx;
        endcase
    end
endmodule

// OPT2 columns: shared encoder, registered PPs, per digit two levels of 4-input adders at IW
// bits, final shift-add to DW bits. Edges: a_r, codes, PPs, level 1, level 2, dot (latency 6).
module tpe_opt2_cols #(parameter int K = 16, parameter int N = 4, parameter int IW = 14,
                       parameter int DW = 20) (
    input  logic            clk,
    input  logic            vld,
    input  logic [K*8-1:0]  a_row,
    input  logic [N*K*8-1:0] w,
    output logic [N*DW-1:0] dot,
    output logic            dot_vld
);
    localparam int Q = K / 4;
    logic [K*8-1:0] a_r;
    logic [7:0] sel_c [K];
    logic [3:0] nz_c [K];
    logic [7:0] sel_r [K];
    logic [3:0] nz_r [K];
    logic [9:0] pp_c [N][K][4];
    logic [9:0] pp_r [N][K][4];
    logic [IW-1:0] l1 [N][4][Q];
    logic [IW-1:0] l2 [N][4];
    logic [5:0] v;
    for (genvar k = 0; k < K; k++) begin : g_enc
        tpe_ent_enc u_enc (.a(a_r[k*8 +: 8]), .sel(sel_c[k]), .nz(nz_c[k]));
    end
    for (genvar n = 0; n < N; n++) begin : g_col
        for (genvar k = 0; k < K; k++) begin : g_k
            for (genvar j = 0; j < 4; j++) begin : g_j
                tpe_pp_sel u_sel (.sel(sel_r[k][2*j +: 2]), .nz(nz_r[k][j]),
                                  .b(w[(n*K+k)*8 +: 8]), .pp(pp_c[n][k][j]));
            end
        end
    end
    always_ff @(posedge clk) begin
        v <= {v[4:0], vld};
        a_r <= a_row;
        for (int k = 0; k < K; k++) begin
            sel_r[k] <= sel_c[k];
            nz_r[k] <= nz_c[k];
        end
        for (int n = 0; n < N; n++) begin
            for (int k = 0; k < K; k++)
                for (int j = 0; j < 4; j++) pp_r[n][k][j] <= pp_c[n][k][j];
            for (int j = 0; j < 4; j++) begin
                for (int q = 0; q < Q; q++)
                    l1[n][j][q] <= IW'($signed(pp_r[n][4*q][j])) + IW'($signed(pp_r[n][4*q+1][j]))
                                 + IW'($signed(pp_r[n][4*q+2][j])) + IW'($signed(pp_r[n][4*q+3][j]));
            end
        end
        for (int n = 0; n < N; n++)
            for (int j = 0; j < 4; j++) begin
                logic [IW-1:0] acc;
                acc = '0;
                for (int q = 0; q < Q; q++) acc = acc + l1[n][j][q];
                l2[n][j] <= acc;
            end
        for (int n = 0; n < N; n++) begin
            logic [DW-1:0] d;
            d = '0;
            for (int j = 0; j < 4; j++) d = d + (DW'($signed(l2[n][j])) << (2 * j));
            dot[n*DW +: DW] <= d;
        end
    end
    assign dot_vld = v[5];
endmodule

// Baseline tree columns: per lane a multiplier (registered 16-bit product), two levels of
// 4-input adders (18, then DW bits). Edges: a_r, products, level 1, dot (latency 4).
module tpe_mac_tree_cols #(parameter int K = 16, parameter int N = 4, parameter int DW = 20) (
    input  logic             clk,
    input  logic             vld,
    input  logic [K*8-1:0]   a_row,
    input  logic [N*K*8-1:0] w,
    output logic [N*DW-1:0]  dot,
    output logic             dot_vld
);
    localparam int Q = K / 4;
    logic [K*8-1:0] a_r;
    logic signed [15:0] prod [N][K];
    logic [17:0] l1 [N][Q];
    logic [3:0] v;
    always_ff @(posedge clk) begin
        v <= {v[2:0], vld};
        a_r <= a_row;
        for (int n = 0; n < N; n++)
            for (int k = 0; k < K; k++)
                prod[n][k] <= $signed(a_r[k*8 +: 8]) * $signed(w[(n*K+k)*8 +: 8]);
        for (int n = 0; n < N; n++)
            for (int q = 0; q < Q; q++)
                l1[n][q] <= 18'($signed(prod[n][4*q])) + 18'($signed(prod[n][4*q+1]))
                          + 18'($signed(prod[n][4*q+2])) + 18'($signed(prod[n][4*q+3]));
        for (int n = 0; n < N; n++) begin
            logic [DW-1:0] d;
            d = '0;
            for (int q = 0; q < Q; q++) d = d + DW'($signed(l1[n][q]));
            dot[n*DW +: DW] <= d;
        end
    end
    assign dot_vld = v[3];
endmodule

// Bench top: baseline tree, OPT2 with the public 13-bit intermediate, OPT2 with the safe width.
module tpe_opt2_top #(parameter int K = 16, parameter int N = 4) (
    input  logic             clk,
    input  logic             vld,
    input  logic [K*8-1:0]   a_row,
    input  logic [N*K*8-1:0] w,
    output logic [N*20-1:0]  mac_dot,
    output logic             mac_vld,
    output logic [N*20-1:0]  narrow_dot,
    output logic             narrow_vld,
    output logic [N*20-1:0]  safe_dot,
    output logic             safe_vld
);
    tpe_mac_tree_cols #(.K(K), .N(N), .DW(20)) u_mac (.clk, .vld, .a_row, .w, .dot(mac_dot),
                                                      .dot_vld(mac_vld));
    tpe_opt2_cols #(.K(K), .N(N), .IW(13), .DW(20)) u_narrow (.clk, .vld, .a_row, .w,
                                                            .dot(narrow_dot), .dot_vld(narrow_vld));
    tpe_opt2_cols #(.K(K), .N(N), .IW($clog2(K * 256 + 1) + 1), .DW(20)) u_safe (
        .clk, .vld, .a_row, .w, .dot(safe_dot), .dot_vld(safe_vld));
endmodule
